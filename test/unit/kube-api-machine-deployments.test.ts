// The simulator's Kubermatic machine-controller role: a MachineDeployment gets Machines and Nodes; a change to
// spec.template rolls the nodes one at a time (maxSurge 1, maxUnavailable 0) and drains each old node through
// evictions before removing it. Node creation can be delegated to a provisionNode hook (the SSH fleet).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startKubeApiServer, type KubeApiServer, type ProvisionRequest } from '../../sim/kube-api/server.ts';
import { ContentType, KubeRestClient, type WatchEvent } from '../../sim/kubelet/rest-client.ts';
import { waitFor } from '../support/wait-for.ts';

interface NodeObj { metadata: { name: string; deletionTimestamp?: string }; spec?: { unschedulable?: boolean }; status?: { conditions?: Array<{ type: string; status: string }> } }
interface List<T> { items: T[] }
interface MdStatus { status?: { replicas?: number; updatedReplicas?: number; availableReplicas?: number; observedGeneration?: number }; metadata: { generation?: number } }

const mdPath = '/apis/cluster.k8s.io/v1alpha1/namespaces/kube-system/machinedeployments';

function machineDeployment(replicas: number) {
  return {
    apiVersion: 'cluster.k8s.io/v1alpha1', kind: 'MachineDeployment', metadata: { name: 'workers', namespace: 'kube-system' },
    spec: {
      replicas, selector: { matchLabels: { workerset: 'workers' } },
      template: {
        metadata: { labels: { workerset: 'workers' } },
        spec: { providerSpec: { value: { operatingSystem: 'flatcar', operatingSystemSpec: { disableAutoUpdate: false, disableLocksmithD: true } } }, versions: { kubelet: '1.36.3' } },
      },
    },
  };
}

async function start(dir: string, extra: Partial<Parameters<typeof startKubeApiServer>[0]> = {}): Promise<{ server: KubeApiServer; api: KubeRestClient }> {
  const server = await startKubeApiServer({ stateDir: dir, port: 0, timeScale: 0.02, ...extra });
  const path = join(dir, 'admin');
  writeFileSync(path, server.adminKubeconfig(), { mode: 0o600 });
  return { server, api: await KubeRestClient.fromKubeconfigFile(path) };
}

const ready = (n: NodeObj) => !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

async function rolledOut(api: KubeRestClient, replicas: number): Promise<boolean> {
  const md = await api.get<MdStatus>(`${mdPath}/workers`);
  const s = md.status ?? {};
  return s.observedGeneration === md.metadata.generation && s.replicas === replicas && s.updatedReplicas === replicas && s.availableReplicas === replicas;
}

describe('MachineDeployment controller', () => {
  const dirs: string[] = [];
  const servers: KubeApiServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a template change rolls every node: new node first, old one cordoned, drained and removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flatdeck-md-'));
    dirs.push(dir);
    const { server, api } = await start(dir);
    servers.push(server);
    await api.call('POST', mdPath, machineDeployment(2));
    await waitFor('two machines with Ready nodes', () => rolledOut(api, 2));
    const before = (await api.get<List<NodeObj>>('/api/v1/nodes')).items.map((n) => n.metadata.name).sort();
    assert.equal(before.length, 2);

    await api.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'app' } }, template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
    });
    await api.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'app', namespace: 'default' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'app' } } },
    });
    await waitFor('app available', async () => (await api.get<{ status?: { availableReplicas?: number } }>('/apis/apps/v1/namespaces/default/deployments/app')).status?.availableReplicas === 2);

    const nodes = new Map<string, NodeObj>();
    let maxNodes = 0;
    let minSchedulableReady = Infinity;
    const list = await api.get<List<NodeObj> & { metadata: { resourceVersion: string } }>('/api/v1/nodes');
    for (const n of list.items) nodes.set(n.metadata.name, n);
    const watch = api.watch<NodeObj>(`/api/v1/nodes?watch=1&resourceVersion=${list.metadata.resourceVersion}`, (e: WatchEvent<NodeObj>) => {
      if (e.type === 'DELETED') nodes.delete(e.object.metadata.name);
      else if (e.type === 'ADDED' || e.type === 'MODIFIED') nodes.set(e.object.metadata.name, e.object);
      maxNodes = Math.max(maxNodes, nodes.size);
      minSchedulableReady = Math.min(minSchedulableReady, [...nodes.values()].filter((n) => ready(n) && !n.spec?.unschedulable).length);
    });

    await api.call('PATCH', `${mdPath}/workers`, { spec: { template: { spec: { providerSpec: { value: { operatingSystemSpec: { disableAutoUpdate: true } } } } } } }, ContentType.merge);
    await waitFor('rolled out', async () => {
      const names = (await api.get<List<NodeObj>>('/api/v1/nodes')).items.map((n) => n.metadata.name);
      return names.length === 2 && names.every((n) => !before.includes(n)) && rolledOut(api, 2);
    }, { timeoutMs: 60_000 });
    watch.abort();

    assert.equal(maxNodes, 3, 'maxSurge 1: one extra node at most');
    assert.equal(minSchedulableReady, 2, 'maxUnavailable 0: two schedulable Ready nodes at every moment');
    const machines = await api.get<List<{ spec: { providerSpec: { value: { operatingSystemSpec: { disableAutoUpdate: boolean } } } } }>>('/apis/cluster.k8s.io/v1alpha1/namespaces/kube-system/machines');
    assert.equal(machines.items.length, 2);
    assert.ok(machines.items.every((m) => m.spec.providerSpec.value.operatingSystemSpec.disableAutoUpdate === true), 'new machines carry the new template');
    const pods = await api.get<List<{ spec: { nodeName?: string } }>>('/api/v1/namespaces/default/pods?labelSelector=app%3Dapp');
    assert.equal(pods.items.length, 2);
    assert.ok(pods.items.every((p) => p.spec.nodeName && !before.includes(p.spec.nodeName)), 'workload moved to the new nodes');
  });

  it('delegates node creation to provisionNode and reports removals to deprovisionNode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flatdeck-md-hook-'));
    dirs.push(dir);
    const requests: ProvisionRequest[] = [];
    const removed: string[] = [];
    const late: { api?: KubeRestClient } = {};
    const { server, api } = await start(dir, {
      provisionNode: async (req) => {
        requests.push(req);
        const name = `fleet-${requests.length}`;
        await late.api?.call('POST', '/api/v1/nodes', {
          apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }] },
        });
        return { nodeName: name };
      },
      deprovisionNode: async (name) => {
        removed.push(name);
      },
    });
    late.api = api;
    servers.push(server);
    await api.call('POST', mdPath, machineDeployment(1));
    await waitFor('machine up', () => rolledOut(api, 1));
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.machineDeployment, 'workers');
    assert.equal(requests[0]?.namespace, 'kube-system');
    const machine = (await api.get<List<{ status?: { nodeRef?: { name: string; kind?: string } } }>>('/apis/cluster.k8s.io/v1alpha1/namespaces/kube-system/machines')).items[0];
    await waitFor('nodeRef filled in', async () => (await api.get<List<{ status?: { nodeRef?: { kind?: string } } }>>('/apis/cluster.k8s.io/v1alpha1/namespaces/kube-system/machines')).items[0]?.status?.nodeRef?.kind === 'Node');
    assert.equal(machine?.status?.nodeRef?.name, 'fleet-1');
    await api.call('PATCH', `${mdPath}/workers`, { spec: { template: { metadata: { annotations: { restart: '1' } } } } }, ContentType.merge);
    await waitFor('replaced', async () => removed.length === 1 && rolledOut(api, 1), { timeoutMs: 30_000 });
    assert.deepEqual(removed, ['fleet-1']);
    assert.deepEqual((await api.get<List<NodeObj>>('/api/v1/nodes')).items.map((n) => n.metadata.name), ['fleet-2']);
  });
});
