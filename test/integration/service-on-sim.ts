import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { ApiEvent } from '../../app/api/index.ts';
import { createService } from '../../app/service/index.ts';
import { startSimCluster, type SimCluster, type SimClusterOptions } from '../../sim/cluster.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { waitFor } from '../support/wait-for.ts';

export type SimService = ReturnType<typeof createService>;

/**
 * flatdeck's service on the simulator's kubeconfig, with `onEvent` subscribed, connected to its one cluster and
 * returned once it lists every node. A service that fails to get there is closed before the error is thrown.
 */
export async function connectedService(sim: SimCluster, opts: { dataDir: string; sshConfigPath?: string; onEvent: (e: ApiEvent) => void }): Promise<{ service: SimService; cluster: string }> {
  const service = createService({ kubeconfigPaths: [sim.kubeconfigPath], dataDir: opts.dataDir, loginShellPath: false, sshConfigPath: opts.sshConfigPath ?? sim.sshConfigPath });
  try {
    service.subscribe(opts.onEvent);
    const cluster = (await service.call('clusters.list', {}))[0]!.id;
    await service.call('clusters.connect', { cluster });
    await waitFor(`all ${sim.nodes.length} nodes listed`, async () => (await service.call('nodes.list', { cluster })).length === sim.nodes.length);
    return { service, cluster };
  } catch (err) {
    await service.close();
    throw err;
  }
}

export interface ServiceOnSim {
  /** This process's temporary folder: the simulator's state in sim/, the service's data in data/. */
  readonly dir: string;
  readonly sim: SimCluster;
  readonly service: SimService;
  readonly cluster: string;
}

/**
 * For the tests of the enclosing `describe` (or file): a simulator on a loopback block of this process and the
 * service connected to it (`sshConfigPath` may write its own ssh_config for it), closed and removed afterwards.
 * The returned fields are filled in once the `before` hook has run: read them only inside hooks and tests.
 */
export function serviceOnSim(opts: {
  sim: Omit<SimClusterOptions, 'stateDir' | 'sshPort' | 'addressBase'>;
  sshConfigPath?: (sim: SimCluster, dir: string) => string;
  onEvent: (e: ApiEvent) => void;
}): ServiceOnSim {
  const dir = mkdtempSync(join(tmpdir(), 'flatdeck-service-on-sim-'));
  const world = { dir } as { dir: string; sim: SimCluster; service: SimService; cluster: string };
  let sim: SimCluster | undefined;
  let service: SimService | undefined;
  before(async () => {
    sim = await startSimCluster({ ...opts.sim, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: loopbackBlock().base });
    const connected = await connectedService(sim, { dataDir: join(dir, 'data'), onEvent: opts.onEvent, ...(opts.sshConfigPath ? { sshConfigPath: opts.sshConfigPath(sim, dir) } : {}) });
    service = connected.service;
    Object.assign(world, { sim, ...connected });
  });
  after(async () => {
    try {
      await service?.close();
      await sim?.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return world;
}
