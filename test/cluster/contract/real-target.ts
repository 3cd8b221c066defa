// The real control plane as a contract target, with the kubelet role running two scripted Flatcar nodes.
import { startRealEnvironment } from '../../support/real-environment.ts';
import { ScriptedNode } from '../../support/scripted-node.ts';
import { waitFor } from '../../support/wait-for.ts';
import type { ContractTarget } from './target.ts';
import { loopbackBlock } from '../../support/loopback.ts';

const block = loopbackBlock();

const TIME_SCALE = 0.05;

export async function startRealTarget(): Promise<ContractTarget> {
  const nodes = [new ScriptedNode('flatcar-contract-1', block.host(1)), new ScriptedNode('flatcar-contract-2', block.host(2))];
  const env = await startRealEnvironment({ nodes, timeScale: TIME_SCALE, workload: false });
  return {
    name: 'real',
    kubeconfigPath: env.cluster.kubeconfigPath,
    admin: env.admin,
    nodes,
    timeScale: TIME_SCALE,
    userKubeconfig: (user, groups) => env.userKubeconfig(user, groups),
    async expireWatchHistory() {
      await env.cluster.restartApiServer();
      await waitFor('kube-apiserver ready after the restart', async () => (await env.admin.raw('GET', '/readyz')).status === 200, { timeoutMs: 60_000 });
    },
    stop: () => env.stop(),
  };
}
