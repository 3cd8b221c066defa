import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { NodeSummary } from '../../app/api/nodes.ts';
import { UpdateOptions } from '../../app/api/pipeline.ts';
import { Settings } from '../../app/api/settings.ts';
import type { PipelineEvent } from '../../app/pipeline/ports.ts';
import { FileJournal } from '../../app/pipeline/journal.ts';
import { PipelineEngine } from '../../app/pipeline/engine.ts';
import { SshPool } from '../../app/ssh/pool.ts';
import { SshConfigFile } from '../../app/ssh/ssh-config.ts';
import { startSimCluster, type SimCluster, type SimClusterOptions, type FaultSpecInput } from '../../sim/cluster.ts';
import type { FleetProfile } from '../../sim/fleet/composition.ts';
import type { SimNode } from '../../sim/fleet/node.ts';
import { openInventory } from '../support/cluster-inventory.ts';

export interface SimEventLine {
  ts: string;
  node: string;
  kind: string;
  from: unknown;
  to: unknown;
}

export function readSimEvents(path: string): SimEventLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SimEventLine);
}

/** Largest number of nodes down (between reboot-start and up) at the same instant, from events.jsonl. */
export function maxConcurrentReboots(events: readonly SimEventLine[]): number {
  const down = new Set<string>();
  let max = 0;
  for (const e of events) {
    if (e.kind === 'reboot-start' || e.kind === 'down') down.add(e.node);
    if (e.kind === 'up') down.delete(e.node);
    max = Math.max(max, down.size);
  }
  return max;
}

/** A single-node run on the simulator without waiting: pods deleted when they must go, no settle, a short Lease. */
export const fastRunOptions = UpdateOptions.parse({ emptyDirPolicy: 'delete', unmanagedPodPolicy: 'delete', settleSeconds: 0, restoreAfterBootSeconds: 1, leaseDurationSeconds: 5, rebootTimeoutSeconds: 120, updateTimeoutSeconds: 120, drainTimeoutSeconds: 60 });

/** The run's finished steps (no progress lines) as `step:status:message`, in order: to check their order, or to show why a run failed. */
export const stepLog = (events: readonly PipelineEvent[]): string[] =>
  events.flatMap((e) => (e.topic === 'step' && e.payload.status !== 'progress' ? [`${e.payload.step}:${e.payload.status}:${e.payload.message}`] : []));

/** The simulator's machine behind a node name. */
export function simMachine(sim: SimCluster, name: string): SimNode {
  const m = sim.machines.find((x) => x.name === name);
  assert.ok(m, `simulator machine ${name}`);
  return m;
}

/** How many reboots `node` (every node, without one) has started so far, from events.jsonl. */
export const rebootsStarted = (sim: SimCluster, node?: string): number =>
  readSimEvents(sim.eventsPath).filter((e) => e.kind === 'reboot-start' && (node === undefined || e.node === node)).length;

export const simSshTarget = (n: NodeSummary) => ({ nodeName: n.name, host: n.addresses.internalIP ?? '' });

export interface World {
  sim: SimCluster;
  dir: string;
  kc: KubeConfig;
  pool: SshPool;
  events: PipelineEvent[];
  engine(opts?: { dataDir?: string; holder?: string }): PipelineEngine;
  stop(): Promise<void>;
}

export interface WorldOptions {
  nodes: number;
  addressBase: string;
  timeScale?: number;
  faults?: FaultSpecInput[];
  seed?: number;
  profile?: FleetProfile;
  zones?: number;
  fluo?: SimClusterOptions['fluo'];
}

export async function startWorld(opts: WorldOptions): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'flatdeck-pipeline-'));
  const sim = await startSimCluster({ nodes: opts.nodes, stateDir: join(dir, 'sim'), timeScale: opts.timeScale ?? 0.02, sshPort: 0, addressBase: opts.addressBase, seed: opts.seed ?? 7, scheduledUpdateChecks: false, ...(opts.faults ? { faults: opts.faults } : {}), ...(opts.profile ? { profile: opts.profile } : {}), ...(opts.zones ? { zones: opts.zones } : {}), ...(opts.fluo ? { fluo: opts.fluo } : {}) });
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  const pool = new SshPool({
    prompter: { confirmHostKey: async () => false, askPassphrase: async () => null },
    sshConfig: await SshConfigFile.load(sim.sshConfigPath),
    knownHosts: { userKnownHostsFiles: [sim.knownHostsPath] },
    agentSocket: null,
    connectTimeoutMs: 3000,
  });
  const events: PipelineEvent[] = [];
  const nodes = openInventory(sim.kubeconfigPath);
  return {
    sim,
    dir,
    kc,
    pool,
    events,
    engine: (o = {}) =>
      new PipelineEngine({
        clusterId: 'sim',
        kubeConfig: kc,
        pool,
        inventory: nodes.inventory,
        resolveTarget: simSshTarget,
        journal: new FileJournal(o.dataDir ?? join(dir, 'data')),
        dataDir: o.dataDir ?? join(dir, 'data'),
        lock: Settings.parse({}).lock,
        emit: (e) => events.push(e),
        ...(o.holder ? { holder: o.holder } : {}),
      }),
    async stop() {
      await nodes.close();
      await pool.close();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
