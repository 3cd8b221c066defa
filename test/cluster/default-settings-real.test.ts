// The shipped defaults against the shipped roles: an operator bound only through deploy/rbac.yaml runs a whole
// `flatdeck update` with a fresh data folder (no settings.json, so every setting is its default) on the real
// control plane, and the node ends on the new version, uncordoned, with the Lease released where the roles grant it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { publishNewReleases } from '../integration/pipeline-cli.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { realClusterSkip, startRealCluster, type RealCluster } from '../support/real-cluster.ts';
import { runFlatdeck } from '../support/run-flatdeck.ts';
import { runKubectl } from '../support/run-kubectl.ts';
import { writeUserKubeconfig } from '../support/user-kubeconfig.ts';
import { waitFor } from '../support/wait-for.ts';

const block = loopbackBlock();
const skip = realClusterSkip();

interface Pod {
  metadata: { name: string; namespace: string; ownerReferences?: Array<{ kind: string }> };
  spec: { nodeName?: string; volumes?: Array<{ emptyDir?: unknown }> };
  status?: { phase?: string };
}
interface Node {
  metadata: { annotations?: Record<string, string> };
  spec: { unschedulable?: boolean };
}
interface Lease {
  spec: { holderIdentity?: string; renewTime?: string };
}

describe('default settings with deploy/rbac.yaml only: a whole `flatdeck update` on the real control plane', { skip }, () => {
  let cluster: RealCluster;
  let sim: SimCluster;
  let dir: string;
  let admin: KubeRestClient;
  let operatorKubeconfig: string;

  before(async () => {
    cluster = await startRealCluster();
    dir = mkdtempSync(join(tmpdir(), 'flatdeck-default-settings-'));
    sim = await startSimCluster({ nodes: 3, stateDir: join(dir, 'sim'), seed: 7, timeScale: 0.05, sshPort: 0, addressBase: block.base, api: { kind: 'external', kubeconfig: cluster.kubeconfigPath }, scheduledUpdateChecks: false, workload: true });
    admin = await KubeRestClient.fromKubeconfigFile(cluster.kubeconfigPath);
    const applied = await runKubectl(cluster.kubeconfigPath, ['apply', '-f', new URL('../../deploy/rbac.yaml', import.meta.url).pathname]);
    assert.equal(applied.code, 0, applied.stderr);
    const pki = join(cluster.dir, 'kwok', 'clusters', 'flatdeck', 'pki');
    operatorKubeconfig = writeUserKubeconfig({
      adminKubeconfigPath: cluster.kubeconfigPath,
      ca: { certPath: join(pki, 'ca.crt'), keyPath: join(pki, 'ca.key') },
      user: 'jane',
      groups: ['flatdeck:operators'],
      outPath: join(dir, 'jane.kubeconfig'),
    });
    await waitFor('the workload running', async () => {
      const pods = await admin.get<{ items: Pod[] }>('/api/v1/namespaces/shop/pods');
      return pods.items.length >= 8 && pods.items.every((p) => p.status?.phase === 'Running');
    }, { timeoutMs: 180_000 });
  });
  after(async () => {
    await sim?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('updates a node: cordon, drain by eviction, reboot onto the new version, uncordon, Lease released in flatdeck-system', async () => {
    // The default drain policy refuses pods whose data would be lost (emptyDir, no controller); pick a node without.
    const pods = (await admin.get<{ items: Pod[] }>('/api/v1/pods')).items;
    const refused = new Set(pods.filter((p) => !p.metadata.ownerReferences?.length || p.spec.volumes?.some((v) => v.emptyDir)).map((p) => p.spec.nodeName));
    const node = sim.nodes.find((n) => !refused.has(n.name));
    assert.ok(node, `a node without emptyDir or unmanaged pods (refused: ${[...refused].join(', ')})`);
    const newVersion = publishNewReleases(sim)[node.channel];
    const dataDir = join(dir, 'data');
    const home = join(dir, 'home');

    const run = await runFlatdeck(home, ['update', node.name, '--yes', '--kubeconfig', operatorKubeconfig, '--ssh-config', sim.sshConfigPath, '--known-hosts', sim.knownHostsPath, '--data-dir', dataDir]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(existsSync(join(dataDir, 'settings.json')), false, 'the run used the defaults: no settings were written');

    const machine = sim.machines.find((m) => m.name === node.name)!;
    assert.equal(machine.osRelease().versionId, newVersion);
    const after = await admin.get<Node>(`/api/v1/nodes/${node.name}`);
    assert.notEqual(after.spec.unschedulable, true, 'uncordoned');
    assert.deepEqual(Object.keys(after.metadata.annotations ?? {}).filter((k) => k.startsWith('flatdeck.io/')), [], 'no flatdeck marks left');
    const lease = await admin.get<Lease>('/apis/coordination.k8s.io/v1/namespaces/flatdeck-system/leases/flatdeck-update-lock');
    assert.equal(lease.spec.holderIdentity ?? '', '', 'the Lease was taken and released');
    assert.ok(lease.spec.renewTime, 'the operator wrote the Lease');
    const drained = pods.filter((p) => p.spec.nodeName === node.name && !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet'));
    const now = (await admin.get<{ items: Pod[] }>('/api/v1/pods')).items;
    for (const p of drained) assert.equal(now.some((q) => q.metadata.namespace === p.metadata.namespace && q.metadata.name === p.metadata.name && q.spec.nodeName === node.name), false, `${p.metadata.name} was evicted`);
  });
});
