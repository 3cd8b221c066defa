// The simulator's API server as a contract target, with its built-in controllers and the kubelet role running
// two scripted Flatcar nodes. It serves MachineDeployments natively (no CRD to install).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeApiServer } from '../../../sim/kube-api/server.ts';
import { startKubeletRole } from '../../../sim/kubelet/index.ts';
import { ContentType, KubeRestClient } from '../../../sim/kubelet/rest-client.ts';
import { ScriptedNode } from '../../support/scripted-node.ts';
import type { ContractTarget } from './target.ts';
import { loopbackBlock } from '../../support/loopback.ts';

const block = loopbackBlock();

const TIME_SCALE = 0.05;
// A short watch history, so that expiring it takes a few hundred writes.
const HISTORY_SIZE = 300;

export async function startSimTarget(): Promise<ContractTarget> {
  const stateDir = mkdtempSync(join(tmpdir(), 'flatdeck-contract-sim-'));
  const server = await startKubeApiServer({ host: '127.0.0.1', port: 0, stateDir, timeScale: TIME_SCALE, historySize: HISTORY_SIZE });
  try {
    const kubeconfigPath = join(stateDir, 'admin.kubeconfig');
    writeFileSync(kubeconfigPath, server.adminKubeconfig(), { mode: 0o600 });
    const admin = await KubeRestClient.fromKubeconfigFile(kubeconfigPath);
    const nodes = [new ScriptedNode('flatcar-contract-1', block.host(1)), new ScriptedNode('flatcar-contract-2', block.host(2))];
    const kubelet = await startKubeletRole({ kubeconfigPath, nodes, timeScale: TIME_SCALE, workload: false });
    return {
      name: 'sim',
      kubeconfigPath,
      admin,
      nodes,
      timeScale: TIME_SCALE,
      async userKubeconfig(user, groups) {
        const path = join(stateDir, `${user}.kubeconfig`);
        writeFileSync(path, server.userKubeconfig(user, [...groups]), { mode: 0o600 });
        return path;
      },
      async expireWatchHistory() {
        const path = `/api/v1/nodes/${nodes[0]?.name}`;
        for (let i = 0; i <= HISTORY_SIZE; i++) {
          await admin.call('PATCH', path, { metadata: { annotations: { 'contract.flatdeck.dev/churn': String(i) } } }, ContentType.merge);
        }
      },
      async stop() {
        await kubelet.stop();
        await server.stop();
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server.stop();
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}
