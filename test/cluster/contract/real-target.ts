// The real control plane as a contract target: test/cluster/up, the project's MachineDeployment CRD installed
// (as machine-controller would on a Kubermatic cluster), and the kubelet role for two scripted Flatcar nodes.
import { join } from 'node:path';
import { startKubeletRole } from '../../../sim/kubelet/index.ts';
import { KubeRestClient } from '../../../sim/kubelet/rest-client.ts';
import { objectPath } from '../../../sim/kubelet/workload.ts';
import { readManifests } from '../../support/manifests.ts';
import { startRealCluster } from '../../support/real-cluster.ts';
import { ScriptedNode } from '../../support/scripted-node.ts';
import { writeUserKubeconfig } from '../../support/user-kubeconfig.ts';
import { waitFor } from '../../support/wait-for.ts';
import type { ContractTarget } from './target.ts';

const TIME_SCALE = 0.05;

export async function installMachineDeploymentCrd(admin: KubeRestClient): Promise<void> {
  for (const crd of readManifests('deploy/crds/machinedeployment.yaml')) {
    await admin.call('PATCH', `${objectPath(crd)}?fieldManager=flatdeck-tests`, JSON.stringify(crd), 'application/apply-patch+yaml');
    await waitFor(`CRD ${crd.metadata.name} established`, async () => {
      const got = await admin.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(objectPath(crd));
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}

export async function startRealTarget(): Promise<ContractTarget> {
  const cluster = await startRealCluster();
  try {
    const admin = await KubeRestClient.fromKubeconfigFile(cluster.kubeconfigPath);
    await installMachineDeploymentCrd(admin);
    const nodes = [new ScriptedNode('flatcar-contract-1', '127.31.0.1'), new ScriptedNode('flatcar-contract-2', '127.31.0.2')];
    const kubelet = await startKubeletRole({ kubeconfigPath: cluster.kubeconfigPath, nodes, timeScale: TIME_SCALE, workload: false });
    const pki = join(cluster.dir, 'kwok', 'clusters', 'flatdeck', 'pki');
    return {
      name: 'real',
      kubeconfigPath: cluster.kubeconfigPath,
      admin,
      nodes,
      timeScale: TIME_SCALE,
      async userKubeconfig(user, groups) {
        return writeUserKubeconfig({
          adminKubeconfigPath: cluster.kubeconfigPath,
          ca: { certPath: join(pki, 'ca.crt'), keyPath: join(pki, 'ca.key') },
          user,
          groups,
          outPath: join(cluster.dir, `${user}.kubeconfig`),
        });
      },
      async stop() {
        await kubelet.stop();
        await cluster.stop();
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
