// The node inventory and the service's cluster methods against the simulator's API server and kubelet role,
// changed by the real kubectl.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { ApiEvent, ClusterSummary, NodeSummary } from '../../app/api/index.ts';
import { listMachineDeployments } from '../../app/cluster/machine-deployments.ts';
import { createService } from '../../app/service/index.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { kubectlPath } from '../support/kubectl.ts';
import { waitFor } from '../support/wait-for.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'flatdeck-inventory-it-'));
let sim: SimCluster;
let service: ReturnType<typeof createService>;
const events: ApiEvent[] = [];
let clusterId = '';

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath(), ['--kubeconfig', sim.kubeconfigPath, ...args]);
  return stdout;
}

const clusterStates = () => events.flatMap((e) => (e.topic === 'cluster' && e.payload.id === clusterId ? [e.payload.state] : []));
const upsertsOf = (name: string): NodeSummary[] =>
  events.flatMap((e) => (e.topic === 'nodes' && e.payload.type === 'upsert' && e.payload.node.name === name ? [e.payload.node] : []));

before(async () => {
  sim = await startSimCluster({ nodes: 3, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: block.base, timeScale: 0.01, workload: false });
  service = createService({ kubeconfigPaths: [sim.kubeconfigPath], dataDir: join(dir, 'data'), loginShellPath: false, sshConfigPath: sim.sshConfigPath });
  service.subscribe((e) => events.push(e));
});

after(async () => {
  await service?.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('node inventory against the simulated cluster', () => {
  it('lists the kubeconfig context as a cluster and connects to it', async () => {
    const clusters: ClusterSummary[] = await service.call('clusters.list', {});
    assert.equal(clusters.length, 1);
    clusterId = clusters[0]!.id;
    assert.equal(clusters[0]!.state, 'disconnected');
    assert.equal(clusters[0]!.server, sim.apiServerUrl);
    const connected = await service.call('clusters.connect', { cluster: clusterId });
    assert.equal(connected.state, 'connected');
    assert.equal(connected.nodeCount, 3);
  });

  it('holds every simulated node with its Flatcar version and channel', async () => {
    // The kubelet role registers a node before it posts the first status; wait for all to be Ready.
    const nodes = await waitFor('every node Ready', async () => {
      const list = await service.call('nodes.list', { cluster: clusterId });
      return list.length === sim.nodes.length && list.every((n) => n.ready === 'True') ? list : undefined;
    });
    assert.deepEqual(nodes.map((n) => n.name).sort(), sim.nodes.map((n) => n.name).sort());
    for (const simNode of sim.nodes) {
      const n = nodes.find((x) => x.name === simNode.name)!;
      assert.equal(n.distribution, 'flatcar');
      assert.equal(n.flatcarVersion, simNode.version, `${n.name} version`);
      assert.equal(n.channel, simNode.channel, `${n.name} channel`);
      assert.equal(n.addresses.internalIP, simNode.address);
      assert.equal(n.ready, 'True');
      assert.match(n.bootID, /^[0-9a-f-]{36}$/);
    }
    const snapshot = events.find((e) => e.topic === 'nodes' && e.payload.type === 'snapshot');
    assert.ok(snapshot, 'a snapshot was pushed on connect');
  });

  it('lists in pages (limit + continue) and gets every node once', async () => {
    const source = service.context.clusters.connection(clusterId).nodeSource({ pageSize: 1 });
    const { items, resourceVersion } = await source.list(new AbortController().signal);
    const names = items.map((i) => (i as { metadata: { name: string } }).metadata.name);
    assert.deepEqual([...new Set(names)].sort(), sim.nodes.map((n) => n.name).sort());
    assert.equal(names.length, sim.nodes.length);
    assert.match(resourceVersion, /^\d+$/);
  });

  it('reads live state over SSH and pushes it as live events', async () => {
    const before = events.length;
    const states = await service.call('nodes.refreshLive', { cluster: clusterId });
    assert.deepEqual(states.map((s) => s.node).sort(), sim.nodes.map((n) => n.name).sort());
    for (const machine of sim.machines) {
      const s = states.find((x) => x.node === machine.name)!;
      assert.equal(s.versionId, machine.osRelease().versionId, machine.name);
      assert.equal(s.group, machine.channel(), `${machine.name}: the channel its update_engine asks for`);
      assert.equal(s.error, null);
      const masked = machine.snapshot().units['update-engine.service']?.file === 'masked';
      assert.equal(s.updateEngineUnit === 'masked', masked);
      if (!masked) assert.equal(s.updateEngine?.currentOp, machine.snapshot().updateEngine?.currentOperation ?? 'UPDATE_STATUS_IDLE');
    }
    const live = events.slice(before).flatMap((e) => (e.topic === 'nodes' && e.payload.type === 'live' ? [e.payload.state.node] : []));
    assert.deepEqual(live.sort(), sim.nodes.map((n) => n.name).sort());
    const one = await service.call('nodes.refreshLive', { cluster: clusterId, nodes: [sim.nodes[0]!.name] });
    assert.equal(one.length, 1);
    await assert.rejects(service.call('nodes.refreshLive', { cluster: clusterId, nodes: ['no-such-node'] }), /no node named "no-such-node"/);
  });

  it('pushes a cordon made with kubectl as an upsert of that node', async () => {
    const target = sim.nodes[1]!.name;
    await kubectl('cordon', target);
    const upsert = await waitFor('the cordon to arrive as an upsert', () => upsertsOf(target).find((n) => n.unschedulable), { timeoutMs: 15_000 });
    assert.equal(upsert.unschedulable, true);
    await kubectl('uncordon', target);
    await waitFor('the uncordon', async () => (await service.call('nodes.list', { cluster: clusterId })).find((n) => n.name === target)?.unschedulable === false, {
      timeoutMs: 15_000,
    });
  });

  it('gives a new subscriber the cluster state and a node snapshot first', async () => {
    const mine: ApiEvent[] = [];
    const off = service.subscribe((e) => mine.push(e));
    await waitFor('catch-up events', () => mine.length >= 2 || undefined);
    off();
    assert.equal(mine[0]?.topic, 'cluster');
    const snap = mine.find((e) => e.topic === 'nodes');
    assert.ok(snap && snap.topic === 'nodes' && snap.payload.type === 'snapshot' && snap.payload.nodes.length === 3);
  });

  it('survives the API server going away: offline, then connected again, and keeps watching', async () => {
    const before = clusterStates().length;
    // Long enough that a loaded machine still sees the outage (the watch is cut, reconnects are refused).
    sim.faults.add({ kind: 'api-unavailable', durationMs: 6000 });
    await waitFor('offline', () => clusterStates().slice(before).includes('offline'), { timeoutMs: 15_000 });
    const offline = events.filter((e) => e.topic === 'cluster' && e.payload.state === 'offline').at(-1);
    assert.ok(offline?.topic === 'cluster' && offline.payload.error?.kind === 'cluster-unreachable', JSON.stringify(offline));
    await waitFor('connected again', () => clusterStates().slice(before).at(-1) === 'connected', { timeoutMs: 60_000, intervalMs: 100 });
    assert.equal(events.filter((e) => e.topic === 'nodes' && e.payload.type === 'delete').length, 0, 'no node was lost');

    const target = sim.nodes[2]!.name;
    await kubectl('label', 'node', target, 'flatdeck-test/after-outage=yes');
    await kubectl('cordon', target);
    await waitFor('a change after the outage', () => upsertsOf(target).find((n) => n.unschedulable), { timeoutMs: 15_000 });
    await kubectl('uncordon', target);
  });

  it('names the owning MachineDeployment of a node machine-controller created', async () => {
    const manifest = join(dir, 'md.yaml');
    writeFileSync(
      manifest,
      `apiVersion: cluster.k8s.io/v1alpha1
kind: MachineDeployment
metadata:
  name: pool-a
  namespace: kube-system
spec:
  replicas: 1
  selector:
    matchLabels:
      pool: pool-a
  template:
    metadata:
      labels:
        pool: pool-a
    spec:
      providerSpec:
        value:
          operatingSystem: flatcar
          operatingSystemSpec:
            disableAutoUpdate: true
`,
    );
    await kubectl('apply', '-f', manifest);
    const node = await waitFor(
      'a node owned by pool-a',
      async () => (await service.call('nodes.list', { cluster: clusterId })).find((n) => n.machineDeployment === 'pool-a'),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // Cross-check with what machine-controller's objects say: the Machine whose nodeRef is this node is pool-a's.
    const refs = (await kubectl('get', 'machines', '-n', 'kube-system', '-o', 'jsonpath={range .items[*]}{.metadata.labels.machinedeployment}={.status.nodeRef.name}{"\\n"}{end}'))
      .trim()
      .split('\n');
    assert.ok(refs.includes(`pool-a=${node.name}`), refs.join(', '));
    const others = (await service.call('nodes.list', { cluster: clusterId })).filter((n) => n.name !== node.name);
    assert.ok(others.every((n) => n.machineDeployment === null));

    // The MachineDeployment reading the auto-update work builds on: spec, status and the inventory's nodes.
    const connection = service.context.clusters.connection(clusterId);
    const inventory = await service.context.clusters.inventory(clusterId);
    const nodesOf = (md: string) => inventory.nodes().filter((n) => n.machineDeployment === md).map((n) => n.name);
    const mds = await waitFor('pool-a ready', async () => {
      const list = await listMachineDeployments((path) => connection.getJsonOrNull(path), nodesOf);
      return list[0]?.readyReplicas === 1 ? list : undefined;
    });
    assert.deepEqual(mds, [
      { name: 'pool-a', namespace: 'kube-system', operatingSystem: 'flatcar', disableAutoUpdate: true, replicas: 1, updatedReplicas: 1, readyReplicas: 1, nodes: [node.name] },
    ]);
    await kubectl('delete', '-f', manifest, '--wait=false');
  });

  it('records the connection story in the activity log', async () => {
    const entries = await service.call('activity.list', { limit: 100 });
    const kinds = entries.filter((e) => e.cluster === clusterId).map((e) => e.kind);
    assert.ok(kinds.includes('cluster-connected'));
    assert.ok(kinds.includes('cluster-offline'));
  });

  it('disconnects and reports it', async () => {
    const s = await service.call('clusters.disconnect', { cluster: clusterId });
    assert.equal(s.state, 'disconnected');
    assert.equal(clusterStates().at(-1), 'disconnected');
  });

  it('connects through a short outage instead of failing at the first refused connection', async () => {
    const before = clusterStates().length;
    // Well inside the connect patience (15 s), yet long enough that the first attempt meets the outage even when
    // this process is starved for a second or two on a loaded machine.
    sim.faults.add({ kind: 'api-unavailable', durationMs: 5000 });
    await new Promise((r) => setTimeout(r, 100)); // the listener is closed now
    const s = await service.call('clusters.connect', { cluster: clusterId });
    assert.equal(s.state, 'connected');
    assert.equal(s.nodeCount, (await service.call('nodes.list', { cluster: clusterId })).length);
    assert.deepEqual(clusterStates().slice(before), ['connecting', 'offline', 'connected']);
  });
});
