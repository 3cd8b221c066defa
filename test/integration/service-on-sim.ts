import type { ApiEvent } from '../../app/api/index.ts';
import { createService } from '../../app/service/index.ts';
import type { SimCluster } from '../../sim/cluster.ts';
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
