// A whole simulated Flatcar cluster in-process: Kubernetes API (built in or external), the SSH fleet,
// the kubelet role for the fleet's nodes, the control endpoint, and the output files in stateDir.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { API_FAULT_KINDS, FaultRegistry, isApiFault, type ApiFault, type FaultSpecInput } from './faults.ts';
import { startControlServer } from './control-server.ts';
import { AuthorizedKeys } from './fleet/authorized-keys.ts';
import { composeFleet, type FleetProfile } from './fleet/composition.ts';
import { Fleet } from './fleet/fleet.ts';
import type { SimNode } from './fleet/node.ts';
import { ReleaseServer } from './fleet/release-server.ts';
import { startKubeApiServer, type ApiFaultControl, type ProvisionRequest } from './kube-api/server.ts';
import { startKubeletRole, type KubeletRole } from './kubelet/index.ts';
import { KubeRestClient } from './kubelet/rest-client.ts';
import { installFluo } from './fluo/install.ts';
import { startFluoRuntime } from './fluo/runtime.ts';
import { fluoHostOf } from './fluo/sim-host.ts';
import { EventLog, loadOrCreateKeyPair } from './outputs.ts';
import { startReleasesFeed } from './releases-feed.ts';

export type { FaultSpec, FaultSpecInput } from './faults.ts';

export interface SimClusterOptions {
  /** Flatcar worker nodes (SSH-backed) */
  nodes: number;
  /** place the nodes round-robin in this many zones (label topology.kubernetes.io/zone); none by default */
  zones?: number;
  /** outputs go here */
  stateDir: string;
  /** deterministic fleet composition (default 1) */
  seed?: number;
  /** which update units the nodes have (sim/fleet/composition.ts); default 'classic', `npm run sim` uses 'mixed' */
  profile?: FleetProfile;
  /** multiply real durations by this (0.01 = 100x faster) */
  timeScale?: number;
  /** default 2222; 0 = one ephemeral port per node */
  sshPort?: number;
  /** default '127.10.0.1'; node i gets base+i (last octet, then third) */
  addressBase?: string;
  /** every node listens on addressBase itself, on a port of its own (needs sshPort 0); for macOS's loopback */
  sharedAddress?: boolean;
  /** 'none' runs the SSH fleet only (no API server, no kubelet role) */
  api?: { kind: 'builtin' } | { kind: 'external'; kubeconfig: string } | { kind: 'none' };
  faults?: FaultSpecInput[];
  /** extra public keys accepted for user core besides the generated id_ed25519 */
  authorizedKeys?: string[];
  /** update_engine's own periodic checks on nodes where it runs (default true) */
  scheduledUpdateChecks?: boolean;
  /** create the demo workload through the kubelet role (default true) */
  workload?: boolean;
  /**
   * FLUO's containers (sim/fluo): 'off' (default) runs them as inert pods; 'runtime' gives pods of FLUO's image
   * its agent and operator behaviour, so applying deploy/fluo/fluo.yaml starts FLUO; 'installed' also applies it.
   */
  fluo?: 'off' | 'runtime' | 'installed';
  /** control endpoint port on 127.0.0.1 (default 0 = ephemeral) */
  controlPort?: number;
  /** when set, the control endpoint answers only requests carrying `Authorization: Bearer <token>` */
  controlToken?: string;
  log?: (message: string) => void;
}

export interface SimClusterNode {
  name: string;
  address: string;
  port: number;
  version: string;
  channel: string;
}

export interface SimCluster {
  kubeconfigPath: string;
  sshConfigPath: string;
  knownHostsPath: string;
  identityPath: string;
  /** events.jsonl */
  eventsPath: string;
  /** fault/control endpoint (http://127.0.0.1:PORT) */
  controlUrl: string;
  /** '' when api.kind is 'none' */
  apiServerUrl: string;
  /** the fleet as started (versions at start) */
  nodes: SimClusterNode[];
  /** the live machines (including ones provisioned for new Kubermatic Machines), for in-process callers */
  readonly machines: readonly SimNode[];
  faults: FaultRegistry;
  releases: ReleaseServer;
  /** the release feed in Flatcar's releases-json format (folder URL; sim/releases-feed.ts) */
  releaseFeedUrl: string;
  stop(): Promise<void>;
}

interface ApiServerHandle {
  url: string;
  kubeconfig: string;
  /** absent for an external API server: its faults cannot be injected */
  faults?: ApiFaultSwitch;
  stop(): Promise<void>;
}

interface ApiFaultSwitch {
  apply(fault: ApiFault): void;
  /** called after a removal with the API faults still active */
  reset(remaining: ApiFault[]): void;
}

function faultSwitch(control: ApiFaultControl): ApiFaultSwitch {
  return {
    apply(fault) {
      if (fault.kind === 'api-5xx-burst') control.serverErrors(fault.count, fault.status);
      else if (fault.kind === 'api-unavailable') void control.unavailable(fault.durationMs);
      else control.pdbNeverAllows(fault.namespace, fault.name);
    },
    // Bursts and outages are transient; blocked PDBs stay blocked while their fault is listed.
    reset(remaining) {
      control.clear();
      for (const fault of remaining) if (fault.kind === 'pdb-never-allows') control.pdbNeverAllows(fault.namespace, fault.name);
    },
  };
}

/** New Machines of a MachineDeployment become SSH-backed fleet nodes (bound once the fleet runs). */
interface MachineHooks {
  provisionNode(req: ProvisionRequest): Promise<{ nodeName: string }>;
  deprovisionNode(nodeName: string): Promise<void>;
}

const MachineTemplate = z.object({
  providerSpec: z.object({ value: z.object({ operatingSystemSpec: z.object({ disableAutoUpdate: z.boolean().optional() }).loose().optional() }).loose().optional() }).loose().optional(),
}).loose();

function disablesAutoUpdate(template: unknown): boolean {
  const parsed = MachineTemplate.safeParse(template);
  return parsed.success && parsed.data.providerSpec?.value?.operatingSystemSpec?.disableAutoUpdate === true;
}

async function startBuiltinApi(stateDir: string, timeScale: number, hooks: () => MachineHooks | undefined): Promise<ApiServerHandle> {
  const bound = () => {
    const h = hooks();
    if (!h) throw new Error('the simulated fleet is not running yet');
    return h;
  };
  const api = await startKubeApiServer({
    host: '127.0.0.1',
    port: 0,
    stateDir,
    timeScale,
    provisionNode: (req) => bound().provisionNode(req),
    deprovisionNode: (name) => bound().deprovisionNode(name),
  });
  return { url: api.url, kubeconfig: api.adminKubeconfig(), faults: faultSwitch(api.faults), stop: () => api.stop() };
}

function externalApi(kubeconfigPath: string): ApiServerHandle {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`kubeconfig ${kubeconfigPath} has no current cluster`);
  return { url: server, kubeconfig: '', stop: async () => undefined };
}

/** The SSH sweep benchmark runs 500 nodes; one address each fits in a /16 loopback block. */
export const MAX_SIM_NODES = 500;

export async function startSimCluster(opts: SimClusterOptions): Promise<SimCluster> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_SIM_NODES) throw new RangeError(`nodes must be 1..${MAX_SIM_NODES}, got ${opts.nodes}`);
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
  const seed = opts.seed ?? 1;
  const apiKind = opts.api ?? { kind: 'builtin' };
  const log = opts.log ?? (() => undefined);

  const stateDir = resolve(opts.stateDir);
  mkdirSync(stateDir, { recursive: true });
  const paths = {
    kubeconfig: join(stateDir, 'kubeconfig'),
    sshConfig: join(stateDir, 'ssh_config'),
    knownHosts: join(stateDir, 'known_hosts'),
    identity: join(stateDir, 'id_ed25519'),
    events: join(stateDir, 'events.jsonl'),
  };

  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    while (cleanups.length) await (cleanups.pop() as () => Promise<void>)().catch(() => undefined);
  };

  try {
    const events = new EventLog(paths.events);
    const identity = loadOrCreateKeyPair(paths.identity, 'core@flatdeck-sim');
    const authorizedKeys = new AuthorizedKeys([identity.public, ...(opts.authorizedKeys ?? [])]);
    const releases = new ReleaseServer();
    const faults = new FaultRegistry();

    let machineHooks: MachineHooks | undefined;
    let api: ApiServerHandle | null = null;
    if (apiKind.kind === 'builtin') {
      api = await startBuiltinApi(stateDir, timeScale, () => machineHooks);
      writeFileSync(paths.kubeconfig, api.kubeconfig, { mode: 0o600 });
    } else if (apiKind.kind === 'external') {
      api = externalApi(apiKind.kubeconfig);
      copyFileSync(apiKind.kubeconfig, paths.kubeconfig);
    }
    if (api) cleanups.push(api.stop);

    faults.onChange((change) => {
      const [fault, added] = 'added' in change ? [change.added, true] : [change.removed, false];
      const node = 'node' in fault.spec && fault.spec.node ? fault.spec.node : '*';
      events.record({ node, kind: 'fault', from: added ? null : fault.spec.kind, to: added ? fault.spec.kind : null, id: fault.id, spec: fault.spec });
      if (!isApiFault(fault.spec)) return;
      if (added) api?.faults?.apply(fault.spec);
      else api?.faults?.reset(faults.list().flatMap((f) => (isApiFault(f.spec) ? [f.spec] : [])));
    });

    const fleet = new Fleet({
      stateDir,
      sshConfigPath: paths.sshConfig,
      knownHostsPath: paths.knownHosts,
      identityPath: paths.identity,
      seed,
      timeScale,
      addressBase: opts.addressBase ?? '127.10.0.1',
      sharedAddress: opts.sharedAddress ?? false,
      sshPort: opts.sshPort ?? 2222,
      scheduledUpdateChecks: opts.scheduledUpdateChecks ?? true,
      faults,
      releases,
      events,
      authorizedKeys,
    });
    cleanups.push(() => fleet.stop());
    for (const fault of opts.faults ?? []) faults.add(fault);
    if (opts.sharedAddress && opts.sshPort !== 0) throw new Error('sharedAddress needs sshPort 0 (one port per node)');
    await fleet.start(composeFleet({ profile: opts.profile, nodes: opts.nodes, seed, addressBase: opts.addressBase ?? '127.10.0.1', sharedAddress: opts.sharedAddress ?? false, sshPort: opts.sshPort ?? 2222, zones: opts.zones }));

    if (api) {
      const kubelets = new Map<string, KubeletRole>();
      const kubelet = await startKubeletRole({ kubeconfigPath: paths.kubeconfig, nodes: [...fleet.machines], timeScale, workload: opts.workload ?? true, log });
      cleanups.push(async () => {
        await Promise.all([...kubelets.values()].map((k) => k.stop()));
        await kubelet.stop();
      });
      machineHooks = {
        async provisionNode(req) {
          const node = await fleet.provision({ name: req.machine, updatesMasked: disablesAutoUpdate(req.template) });
          kubelets.set(node.name, await startKubeletRole({ kubeconfigPath: paths.kubeconfig, nodes: [node], timeScale, workload: false, log }));
          return { nodeName: node.name };
        },
        async deprovisionNode(nodeName) {
          await kubelets.get(nodeName)?.stop();
          kubelets.delete(nodeName);
          await fleet.remove(nodeName);
        },
      };
    }

    const fluoMode = opts.fluo ?? 'off';
    if (api && fluoMode !== 'off') {
      const fluo = await startFluoRuntime({
        kubeconfigPath: paths.kubeconfig,
        host: (name) => {
          const machine = fleet.machines.find((m) => m.name === name);
          return machine && fluoHostOf(machine);
        },
        events,
        timeScale,
        log,
      });
      cleanups.push(fluo.stop);
      if (fluoMode === 'installed') await installFluo(await KubeRestClient.fromKubeconfigFile(paths.kubeconfig));
    }

    const control = await startControlServer(
      {
        faults,
        releases,
        authorizedKeys,
        state: () => ({ nodes: fleet.machines.map((m) => m.snapshot()), faults: faults.list(), releases: releases.snapshot() }),
        supportsFault: (kind) => !(API_FAULT_KINDS as readonly string[]).includes(kind) || Boolean(api?.faults),
      },
      opts.controlPort ?? 0,
      opts.controlToken,
    );
    cleanups.push(control.stop);
    const feed = await startReleasesFeed(releases);
    cleanups.push(feed.stop);

    return {
      kubeconfigPath: paths.kubeconfig,
      sshConfigPath: paths.sshConfig,
      knownHostsPath: paths.knownHosts,
      identityPath: paths.identity,
      eventsPath: paths.events,
      controlUrl: control.url,
      apiServerUrl: api?.url ?? '',
      nodes: fleet.machines.map((m) => ({ name: m.name, address: m.address, port: m.sshPort, version: m.osRelease().versionId, channel: m.channel() })),
      get machines() {
        return fleet.machines;
      },
      faults,
      releases,
      releaseFeedUrl: feed.url,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
