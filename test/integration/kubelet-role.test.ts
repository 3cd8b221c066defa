// The kubelet role against the simulator's API server: node registration with a realistic status, Lease
// heartbeats, NotReady while the machine is down and Ready on a new boot, pods started and restarted, graceful
// deletions finished after the (scaled) grace period. The same role runs against the real kube-apiserver in
// test/cluster/reboot-drain.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube-api/server.ts';
import { startKubeletRole, type KubeletRole } from '../../sim/kubelet/index.ts';
import { KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { ScriptedNode } from '../support/scripted-node.ts';
import { waitFor } from '../support/wait-for.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

interface Node {
  metadata: { labels: Record<string, string> };
  status: {
    conditions: Array<{ type: string; status: string; reason: string; lastHeartbeatTime: string }>;
    addresses: Array<{ type: string; address: string }>;
    nodeInfo: Record<string, string>;
    capacity: Record<string, string>;
  };
}
interface Pod {
  metadata: { name: string; uid: string; ownerReferences?: Array<{ kind: string }> };
  spec: { nodeName?: string };
  status?: { phase?: string; podIP?: string; hostIP?: string; containerStatuses?: Array<{ restartCount: number; ready: boolean }> };
}

const ready = (n: Node) => n.status.conditions.find((c) => c.type === 'Ready');

describe('kubelet role on the simulated API server', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'flatdeck-kubelet-role-'));
  const nodes = [new ScriptedNode('flatcar-kr-1', block.host(1), '4230.2.4'), new ScriptedNode('flatcar-kr-2', block.host(2), '4459.1.0')];
  let server: KubeApiServer;
  let role: KubeletRole;
  let api: KubeRestClient;

  before(async () => {
    server = await startKubeApiServer({ host: '127.0.0.1', port: 0, stateDir, timeScale: 0.02 });
    const kubeconfigPath = join(stateDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, server.adminKubeconfig());
    api = await KubeRestClient.fromKubeconfigFile(kubeconfigPath);
    role = await startKubeletRole({ kubeconfigPath, nodes, timeScale: 0.02, workload: true, log: () => {} });
  });
  after(async () => {
    await role?.stop();
    await server?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('registers each node with the status a Flatcar kubelet reports', async () => {
    const node = await api.get<Node>(`/api/v1/nodes/${nodes[1]!.name}`);
    assert.equal(ready(node)?.status, 'True');
    assert.equal(ready(node)?.reason, 'KubeletReady');
    assert.deepEqual(node.status.addresses, [
      { type: 'InternalIP', address: block.host(2) },
      { type: 'Hostname', address: 'flatcar-kr-2' },
    ]);
    assert.equal(node.status.nodeInfo.osImage, 'Flatcar Container Linux by Kinvolk 4459.1.0 (Oklo)');
    assert.equal(node.status.nodeInfo.bootID, nodes[1]!.bootId());
    assert.equal(node.status.nodeInfo.machineID, nodes[1]!.machineId);
    assert.equal(node.status.nodeInfo.kubeletVersion, 'v1.36.3');
    assert.match(node.status.nodeInfo.containerRuntimeVersion ?? '', /^containerd:\/\//);
    assert.equal(node.status.nodeInfo.operatingSystem, 'linux');
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], 'flatcar-kr-2');
    assert.equal(node.metadata.labels['node-role.kubernetes.io/worker'], '');
    assert.equal(node.metadata.labels['x-kubernetes.io/distribution'], 'flatcar');
    assert.equal(node.status.capacity.pods, '110');
  });

  it('renews the node Lease in kube-node-lease', async () => {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${nodes[0]!.name}`;
    const first = await api.get<{ spec: { renewTime: string; holderIdentity: string; leaseDurationSeconds: number } }>(path);
    assert.equal(first.spec.holderIdentity, nodes[0]!.name);
    assert.equal(first.spec.leaseDurationSeconds, 40);
    await waitFor('a later renewTime', async () => (await api.get<typeof first>(path)).spec.renewTime > first.spec.renewTime, { timeoutMs: 5_000 });
  });

  it('runs the workload: every pod on its nodes Running with an IP', async () => {
    const pods = await waitFor('shop and kube-system pods running', async () => {
      const list = await api.get<{ items: Pod[] }>('/api/v1/pods');
      const ours = list.items.filter((p) => nodes.some((n) => n.name === p.spec.nodeName));
      return ours.length >= 10 && ours.every((p) => p.status?.phase === 'Running') ? ours : undefined;
    }, { timeoutMs: 30_000 });
    for (const p of pods) {
      const node = nodes.find((n) => n.name === p.spec.nodeName)!;
      assert.equal(p.status?.hostIP, node.address);
      assert.ok(p.status?.podIP);
    }
    const ds = pods.filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet'));
    assert.equal(ds.length, 4, 'two DaemonSets on two nodes');
  });

  it('goes NotReady while the machine is down, and Ready with the new boot id and OS after', async () => {
    const node = nodes[0]!;
    const oldBoot = node.bootId();
    node.powerOff();
    const down = await waitFor('NotReady', async () => {
      const n = await api.get<Node>(`/api/v1/nodes/${node.name}`);
      return ready(n)?.status === 'False' ? n : undefined;
    }, { timeoutMs: 5_000 });
    assert.equal(ready(down)?.reason, 'KubeletNotReady');
    node.powerOn('4757.2.3');
    const up = await waitFor('Ready on a new boot', async () => {
      const n = await api.get<Node>(`/api/v1/nodes/${node.name}`);
      return ready(n)?.status === 'True' && n.status.nodeInfo.bootID !== oldBoot ? n : undefined;
    }, { timeoutMs: 5_000 });
    assert.equal(up.status.nodeInfo.bootID, node.bootId());
    assert.equal(up.status.nodeInfo.osImage, 'Flatcar Container Linux by Kinvolk 4757.2.3 (Oklo)');
    const events = await api.get<{ items: Array<{ reason: string; message: string; involvedObject: { name: string } }> }>('/api/v1/namespaces/default/events');
    assert.ok(events.items.some((e) => e.reason === 'Rebooted' && e.involvedObject.name === node.name && e.message.includes(node.bootId())));
    await waitFor('its pods restarted and ready', async () => {
      const list = await api.get<{ items: Pod[] }>(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node.name}`)}`);
      return list.items.length > 0 && list.items.every((p) => p.status?.containerStatuses?.every((c) => c.ready && c.restartCount >= 1));
    }, { timeoutMs: 10_000 });
  });

  it('a node down past the grace period is Ready again from its first status post, not Unknown until the next one', async () => {
    const node = nodes[1]!;
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node.name}`;
    node.powerOff();
    await waitFor('Ready=Unknown (kubelet silent for the grace period)', async () => ready(await api.get<Node>(`/api/v1/nodes/${node.name}`))?.status === 'Unknown', { timeoutMs: 10_000 });
    const poweredOn = new Date();
    node.powerOn();
    // the kubelet posts Ready, then renews its Lease; between the two the Lease alone still looks stale
    await waitFor('the Lease renewed after the boot', async () => Date.parse((await api.get<{ spec: { renewTime: string } }>(leasePath)).spec.renewTime) >= poweredOn.getTime(), { timeoutMs: 5_000 });
    const back = await api.get<Node & { spec: { taints?: Array<{ key: string }> } }>(`/api/v1/nodes/${node.name}`);
    assert.equal(ready(back)?.status, 'True', `Ready after the first status post (${ready(back)?.reason})`);
    assert.equal(back.status.nodeInfo.bootID, node.bootId());
  });

  it('finishes a graceful deletion after the scaled grace period, not before', async () => {
    const list = await api.get<{ items: Pod[] }>('/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb');
    const victim = list.items[0]!;
    const started = Date.now();
    await api.call('DELETE', `/api/v1/namespaces/shop/pods/${victim.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 50 });
    const still = await api.raw<Pod>('GET', `/api/v1/namespaces/shop/pods/${victim.metadata.name}`);
    assert.equal(still.status, 200, 'terminating, not gone');
    await waitFor('the pod gone', async () => (await api.raw('GET', `/api/v1/namespaces/shop/pods/${victim.metadata.name}`)).status === 404, { timeoutMs: 10_000 });
    assert.ok(Date.now() - started >= 50 * 1000 * 0.02 - 50, 'not before grace × timeScale (1 s)');
  });
});
