// A real control plane ready for flatdeck tests: test/cluster/up, the project's MachineDeployment CRD installed
// (as machine-controller does on Kubermatic clusters), the kubelet role running the given nodes, and
// certificate-based kubeconfigs for ordinary users.
import { join } from 'node:path';
import { startKubeletRole, type SimNodeView } from '../../sim/kubelet/index.ts';
import { ContentType, KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { objectPath } from '../../sim/kubelet/workload.ts';
import { readManifests } from './manifests.ts';
import { startRealCluster, type RealCluster } from './real-cluster.ts';
import { writeUserKubeconfig } from './user-kubeconfig.ts';
import { waitFor } from './wait-for.ts';

export interface RealEnvironment {
  cluster: RealCluster;
  admin: KubeRestClient;
  userKubeconfig(user: string, groups: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function installMachineDeploymentCrd(admin: KubeRestClient): Promise<void> {
  for (const crd of readManifests('deploy/crds/machinedeployment.yaml')) {
    await admin.call('PATCH', `${objectPath(crd)}?fieldManager=flatdeck-tests`, JSON.stringify(crd), ContentType.apply);
    await waitFor(`CRD ${crd.metadata.name} established`, async () => {
      const got = await admin.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(objectPath(crd));
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
  // Established is not yet servable: until its watch cache is filled the server answers 429 "storage is (re)initializing".
  await waitFor('MachineDeployments servable', async () => (await admin.raw('GET', '/apis/cluster.k8s.io/v1alpha1/machinedeployments')).status === 200);
}

export async function startRealEnvironment(opts: { nodes: SimNodeView[]; timeScale: number; workload: boolean; kwokNodes?: number }): Promise<RealEnvironment> {
  const cluster = await startRealCluster({ kwokNodes: opts.kwokNodes ?? 0 });
  try {
    const admin = await KubeRestClient.fromKubeconfigFile(cluster.kubeconfigPath);
    await installMachineDeploymentCrd(admin);
    const kubelet = await startKubeletRole({ kubeconfigPath: cluster.kubeconfigPath, nodes: opts.nodes, timeScale: opts.timeScale, workload: opts.workload });
    const pki = join(cluster.dir, 'kwok', 'clusters', 'flatdeck', 'pki');
    return {
      cluster,
      admin,
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
