// The simulated Kubernetes API server: HTTPS on loopback with its own CA, bearer-token users, RBAC, and the
// built-in controllers (scheduler, workloads, disruption, node lifecycle, garbage collection, CRDs, Kubermatic
// machine-controller).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { TokenAuthenticator } from './auth.ts';
import { crdStatusController, watchCrds } from './controllers/crd.ts';
import { disruptionController } from './controllers/disruption.ts';
import { garbageCollector, namespaceController, nodeLifecycleController, podGarbageCollector } from './controllers/housekeeping.ts';
import { hollowKubelet } from './controllers/hollow-kubelet.ts';
import { machineController, machineCrds, type MachineHooks, type ProvisionRequest } from './controllers/machine-deployments.ts';
import { ControllerManager } from './controllers/manager.ts';
import { scheduler } from './controllers/scheduler.ts';
import { builtinDefs } from './controllers/util.ts';
import { daemonSetController, deploymentController, replicaSetController, statefulSetController } from './controllers/workloads.ts';
import { ApiFaults, type ApiFaultControl } from './faults.ts';
import { ApiHttpHandler } from './http.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { OpenApiV3 } from './openapi.ts';
import { podGracePeriod, type EvictionDeps } from './pods.ts';
import { bootstrapRbac, RbacAuthorizer } from './rbac.ts';
import { builtinResources, ResourceRegistry } from './resources.ts';
import { Rest } from './rest.ts';
import { Store } from './store.ts';
import { createServingPki } from './tls.ts';

export type { ApiFaultControl } from './faults.ts';
export type { ProvisionRequest } from './controllers/machine-deployments.ts';

export interface KubeApiServerOptions {
  host?: string;
  port?: number;
  stateDir: string;
  /** multiplies controller periods, retry delays, node-monitor grace and bookmark intervals (0.01 = 100x faster) */
  timeScale?: number;
  /** watch history kept before a watch start is answered 410 Gone (events; default 5000) */
  historySize?: number;
  /** interval between watch BOOKMARK events (default 60 s × timeScale, at least 100 ms) */
  bookmarkIntervalMs?: number;
  /** serve cluster.k8s.io/v1alpha1 MachineDeployments/MachineSets/Machines (CRDs pre-installed; default true) */
  kubermatic?: boolean;
  /** node creation for new Machines; without it the server creates a plain Ready Node itself */
  provisionNode?(req: ProvisionRequest): Promise<{ nodeName: string }>;
  deprovisionNode?(nodeName: string): Promise<void>;
  /** nodeInfo.osImage of nodes the server creates itself */
  nodeOsImage?: string;
}

export interface KubeApiServer {
  url: string;
  caPem: string;
  adminKubeconfig(): string;
  /** kubeconfig for a user that is subject to RBAC (groups: extra groups besides system:authenticated) */
  userKubeconfig(user: string, groups?: string[]): string;
  stop(): Promise<void>;
  faults: ApiFaultControl;
  /** resolves when the built-in controllers have no work pending */
  settle(): Promise<void>;
}

// A new cluster's namespaces, and flatdeck-system: the simulated cluster is one where deploy/rbac.yaml was applied,
// which creates that namespace for flatdeck's update Lease.
const seedNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'flatdeck-system'];

export async function startKubeApiServer(opts: KubeApiServerOptions): Promise<KubeApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const scale = opts.timeScale ?? 1;
  const scaled = (ms: number, min: number) => Math.max(min, Math.round(ms * scale));
  mkdirSync(opts.stateDir, { recursive: true });
  const pki = await createServingPki([host]);
  writeFileSync(join(opts.stateDir, 'kube-api-ca.crt'), pki.caPem);

  const store = new Store(opts.historySize ?? 5000);
  const registry = new ResourceRegistry(builtinResources);
  const rest = new Rest(store, { podGracePeriod: (pod, requested) => podGracePeriod(store, pod, requested) });
  const defs = builtinDefs(registry);
  const faults = new ApiFaults();
  const auth = new TokenAuthenticator();
  const rbac = new RbacAuthorizer(store);
  const stopCrdWatch = watchCrds(store, registry);

  for (const ns of seedNamespaces) rest.create(defs.namespaces, undefined, { metadata: { name: ns } });
  for (const { resource, object } of bootstrapRbac()) {
    const [plural] = resource.split('.');
    const def = registry.lookup('rbac.authorization.k8s.io', 'v1', plural as string);
    if (def) rest.create(def, undefined, object);
  }
  if (opts.kubermatic !== false) for (const crd of machineCrds) rest.create(defs.crds, undefined, crd);
  store.compact();

  const eviction: EvictionDeps = { rest, registry, podsDef: defs.pods, pdbDef: defs.pdbs, pdbForcedBlocked: faults.isBlocked };
  const hooks: MachineHooks = {
    ...(opts.provisionNode ? { provisionNode: opts.provisionNode } : {}),
    ...(opts.deprovisionNode ? { deprovisionNode: opts.deprovisionNode } : {}),
  };
  const manager = new ControllerManager(store, [
    namespaceController(rest, defs, registry, scaled(5000, 1000)),
    crdStatusController(rest, defs),
    // The floor keeps event-loop stalls at tiny time scales from reading as missed heartbeats.
    nodeLifecycleController(rest, defs, store, scaled(40_000, 3000)),
    machineController(rest, defs, registry, eviction, hooks, {
      osImage: opts.nodeOsImage ?? 'Flatcar Container Linux by Kinvolk 4230.2.3 (Oklo)', kubeletVersion: 'v1.36.3', retryMs: scaled(5000, 20),
    }),
    deploymentController(rest, defs),
    replicaSetController(rest, defs),
    daemonSetController(rest, defs),
    statefulSetController(rest, defs),
    scheduler(rest, defs),
    hollowKubelet(rest, defs),
    disruptionController(rest, defs, faults.isBlocked),
    podGarbageCollector(rest, defs),
    garbageCollector(rest, registry),
  ], scaled(1000, 200));

  faults.onChange = () => manager.schedule();
  const sockets = new Set<Socket>();
  const watches = new Set<() => void>();
  let server: Server;
  let port = opts.port ?? 0;
  const handler = new ApiHttpHandler({
    registry, rest, rbac, auth, openapi: new OpenApiV3(registry), eviction,
    serverAddress: () => `${host}:${port}`,
    injectedFailure: (userAgent) => faults.nextFailure(userAgent),
    watchTimeoutMs: 30 * 60 * 1000,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? scaled(60_000, 100),
    trackWatch: (stop) => {
      watches.add(stop);
    },
  });

  const listen = () => new Promise<void>((resolve, reject) => {
    server = createServer({ cert: pki.certPem, key: pki.keyPem }, handler.handle);
    // kube-apiserver keeps idle connections 90 s (k8s.io/apiserver secure_serving.go IdleTimeout); Node's 5 s
    // default closes sockets that clients with keep-alive reuse after a pause ("socket hang up").
    server.keepAliveTimeout = 90_000;
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.once('error', reject);
    server.listen(port, host, () => {
      port = (server.address() as AddressInfo).port;
      resolve();
    });
  });
  const closeServer = () => new Promise<void>((resolve) => {
    for (const stop of watches) stop();
    watches.clear();
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
  const dropEverything = closeServer;

  await listen();
  manager.start();
  const url = `https://${host === '::1' ? '[::1]' : host}:${port}`;
  const adminToken = auth.issue('kubernetes-admin', ['system:masters']);
  let reopenTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let down: Promise<void> | undefined;

  const control: ApiFaultControl = {
    serverErrors: (count, code = 503) => faults.setServerErrors(count, code),
    unavailable: async (ms) => {
      faults.unavailableUntil = Date.now() + ms;
      if (!down) down = dropEverything();
      await down;
      if (reopenTimer) clearTimeout(reopenTimer);
      reopenTimer = setTimeout(() => void reopen(), ms);
    },
    pdbNeverAllows: (ns, name) => faults.block(ns, name),
    allowPdb: (ns, name) => faults.unblock(ns, name),
    clear: () => {
      faults.reset();
      if (reopenTimer) {
        clearTimeout(reopenTimer);
        void reopen();
      }
    },
    get active() {
      return faults.snapshot();
    },
  };

  async function reopen(): Promise<void> {
    reopenTimer = undefined;
    if (stopped || !down) return;
    await down;
    down = undefined;
    faults.unavailableUntil = undefined;
    await listen();
  }

  return {
    url,
    caPem: pki.caPem,
    adminKubeconfig: () => renderKubeconfig({ server: url, caPem: pki.caPem, user: 'kubernetes-admin', token: adminToken }),
    userKubeconfig: (user, groups = []) => renderKubeconfig({ server: url, caPem: pki.caPem, user, token: auth.issue(user, groups) }),
    faults: control,
    settle: () => manager.idle(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (reopenTimer) clearTimeout(reopenTimer);
      manager.stop();
      stopCrdWatch();
      if (!down) await closeServer();
      else await down;
    },
  };
}
