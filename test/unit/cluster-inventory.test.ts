import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodesEvent } from '../../app/api/nodes.ts';
import { classifyKubeError } from '../../app/cluster/errors.ts';
import { NodeInventory, type InventoryState, type NodeSource, type WatchEventType } from '../../app/cluster/inventory.ts';
import { MachineOwnership } from '../../app/cluster/machine-deployments.ts';
import type { NodeObject } from '../../app/cluster/node-summary.ts';
import { waitFor } from '../support/wait-for.ts';

function node(name: string, rv: number, opts: { unschedulable?: boolean; heartbeat?: string; labels?: Record<string, string> } = {}): NodeObject {
  return {
    metadata: { name, resourceVersion: String(rv), labels: { 'node-role.kubernetes.io/worker': '', ...opts.labels } },
    spec: { unschedulable: opts.unschedulable ?? false },
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: opts.heartbeat ?? '2026-11-26T10:00:00Z' }],
      nodeInfo: { osImage: 'Flatcar Container Linux by Kinvolk 4757.2.0', bootID: `boot-${name}`, kubeletVersion: 'v1.33.4', kernelVersion: '6.6' },
    },
  };
}

interface ActiveWatch {
  rv: string;
  onEvent(type: WatchEventType, object: unknown): void;
  end(): void;
  fail(err: unknown): void;
}

/** A scripted API server: list returns `state`; each watch call can be driven or failed from the test. */
class FakeSource implements NodeSource {
  state = new Map<string, NodeObject>();
  listRv = 100;
  lists = 0;
  watchRvs: string[] = [];
  active: ActiveWatch | null = null;
  /** Failures to throw, in order, from the next watch calls (before opening). */
  watchFailures: unknown[] = [];

  static with(...nodes: NodeObject[]): FakeSource {
    const src = new FakeSource();
    for (const n of nodes) src.state.set(n.metadata!.name!, n);
    return src;
  }

  async list() {
    this.lists++;
    return { items: [...this.state.values()], resourceVersion: String(this.listRv) };
  }

  watch(rv: string, handlers: { onOpen(): void; onEvent(type: WatchEventType, object: unknown): void }, signal: AbortSignal): Promise<void> {
    this.watchRvs.push(rv);
    const failure = this.watchFailures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      const done = () => {
        if (this.active === w) this.active = null;
      };
      const w: ActiveWatch = {
        rv,
        onEvent: handlers.onEvent,
        end: () => (done(), resolve()),
        fail: (err) => (done(), reject(err)),
      };
      signal.addEventListener('abort', () => w.fail(new Error('aborted')), { once: true });
      this.active = w;
      handlers.onOpen();
    });
  }

  async nextWatch(): Promise<ActiveWatch> {
    return waitFor('a watch to be open', () => this.active ?? undefined, { timeoutMs: 5000, intervalMs: 2 });
  }
}

function setup(source: FakeSource) {
  const inv = new NodeInventory({
    cluster: 'c1',
    source,
    classify: (err, verb) => classifyKubeError(err, { cluster: 'c1', verb, resource: 'nodes' }),
    backoff: { initialMs: 5, maxMs: 20 },
    minHealthyWatchMs: 0,
  });
  const events: NodesEvent[] = [];
  const states: InventoryState[] = [];
  inv.onEvent((e) => events.push(e));
  inv.onStatus((s) => states.push(s.state));
  return { inv, events, states };
}

const refused = Object.assign(new Error('request to https://api failed, reason: connect ECONNREFUSED'), { name: 'FetchError', code: 'ECONNREFUSED' });

describe('node inventory event stream', () => {
  it('pushes a snapshot, then an upsert per real change and a delete, never the whole list', async () => {
    const src = FakeSource.with(node('n1', 1), node('n2', 2));
    const { inv, events } = setup(src);
    inv.start();
    await inv.synced();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'snapshot');
    assert.deepEqual(events[0]?.type === 'snapshot' && events[0].nodes.map((n) => n.name).sort(), ['n1', 'n2']);

    const w = await src.nextWatch();
    assert.equal(w.rv, '100');
    w.onEvent('MODIFIED', node('n1', 101, { unschedulable: true }));
    w.onEvent('MODIFIED', node('n1', 102, { unschedulable: true })); // only resourceVersion changed: nothing to push
    w.onEvent('ADDED', node('n3', 103));
    w.onEvent('DELETED', node('n2', 104));
    w.onEvent('BOOKMARK', { metadata: { resourceVersion: '105' } });
    assert.deepEqual(
      events.slice(1).map((e) => (e.type === 'upsert' ? `upsert ${e.node.name} ${e.node.unschedulable}` : e.type === 'delete' ? `delete ${e.name}` : e.type)),
      ['upsert n1 true', 'upsert n3 false', 'delete n2'],
    );
    assert.deepEqual(inv.nodes().map((n) => n.name).sort(), ['n1', 'n3']);
    assert.equal(inv.get('n1')?.unschedulable, true);

    // A normal end of the stream resumes from the last resourceVersion (the bookmark's), without a relist.
    w.end();
    const w2 = await src.nextWatch();
    assert.equal(w2.rv, '105');
    assert.equal(src.lists, 1);
    await inv.stop();
  });

  it('relists on an in-stream 410 and pushes only the difference', async () => {
    const src = FakeSource.with(node('n1', 1), node('n2', 2));
    const { inv, events } = setup(src);
    inv.start();
    const w = await src.nextWatch();
    // While we were not looking: n1 went away, n2 got cordoned, n4 joined.
    src.state.delete('n1');
    src.state.set('n2', node('n2', 300, { unschedulable: true }));
    src.state.set('n4', node('n4', 301));
    src.listRv = 302;
    w.onEvent('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 100 (250)' });
    const w2 = await src.nextWatch();
    assert.equal(w2.rv, '302');
    assert.equal(src.lists, 2);
    const after = events.slice(1).map((e) => (e.type === 'upsert' ? `upsert ${e.node.name}` : e.type === 'delete' ? `delete ${e.name}` : e.type));
    assert.deepEqual(after.sort(), ['delete n1', 'upsert n2', 'upsert n4']);
    await inv.stop();
  });

  it('relists when the watch request itself answers 410 Gone', async () => {
    const src = new FakeSource();
    src.state.set('n1', node('n1', 1));
    const { inv } = setup(src);
    src.watchFailures.push(Object.assign(new Error('Gone'), { statusCode: 410 }));
    inv.start();
    await src.nextWatch();
    assert.deepEqual(src.watchRvs, ['100', '100']);
    assert.equal(src.lists, 2);
    await inv.stop();
  });

  it('goes offline while the API server is unreachable, then reconnects and resumes', async () => {
    const src = new FakeSource();
    src.state.set('n1', node('n1', 1));
    const { inv, states, events } = setup(src);
    inv.start();
    const w = await src.nextWatch();
    w.onEvent('MODIFIED', node('n1', 150, { heartbeat: '2026-11-26T10:00:10Z' }));
    src.watchFailures.push(refused, refused);
    w.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await waitFor('offline', () => inv.status().state === 'offline' && inv.status().error, { timeoutMs: 5000, intervalMs: 1 });
    assert.equal(inv.status().error?.kind, 'cluster-unreachable');
    const w2 = await src.nextWatch();
    assert.equal(w2.rv, '150');
    assert.equal(inv.status().state, 'connected');
    // The error detail may change while offline (reset, then refused); the states themselves go offline once.
    assert.deepEqual(states.filter((s, i) => s !== states[i - 1]), ['connecting', 'connected', 'offline', 'connected']);
    assert.equal(src.lists, 1, 'resumed from the resourceVersion, no relist');
    assert.equal(inv.size, 1, 'kept the nodes while offline');
    assert.equal(events.filter((e) => e.type === 'delete').length, 0);
    await inv.stop();
    assert.equal(inv.status().state, 'disconnected');
  });

  it('stops with an error state on 403 instead of retrying', async () => {
    const src = new FakeSource();
    const { inv, states } = setup(src);
    const forbidden = Object.assign(new Error('Forbidden'), {
      statusCode: 403,
      body: JSON.stringify({ kind: 'Status', code: 403, message: 'nodes is forbidden: User "jane" cannot watch resource "nodes" in API group "" at the cluster scope' }),
    });
    src.watchFailures.push(forbidden);
    inv.start();
    await waitFor('error state', () => inv.status().state === 'error', { timeoutMs: 5000, intervalMs: 1 });
    assert.equal(inv.status().error?.kind, 'forbidden');
    assert.equal(inv.status().error?.facts.verb, 'watch');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(src.watchRvs.length, 1, 'no retry after a permanent failure');
    assert.deepEqual(states, ['connecting', 'connected', 'error']);
    await inv.stop();
  });

  it('gives a rejected credential one fresh attempt after it had worked, then stops', async () => {
    const src = FakeSource.with(node('n1', 1));
    const { inv, states } = setup(src);
    const unauthorized = () => Object.assign(new Error('Unauthorized'), { statusCode: 401 });
    inv.start();
    const w = await src.nextWatch();
    w.fail(unauthorized());
    const w2 = await waitFor('the retried watch', () => (src.active && src.active !== w ? src.active : undefined), { timeoutMs: 5000, intervalMs: 1 });
    assert.equal(inv.status().state, 'connected', 'the token rotated: the retry worked');
    assert.ok(!states.includes('error'));
    src.watchFailures.push(unauthorized()); // rejected again on the retry: it stands
    w2.fail(unauthorized());
    await waitFor('error state', () => inv.status().state === 'error', { timeoutMs: 5000, intervalMs: 1 });
    assert.equal(inv.status().error?.kind, 'unauthorized');
    await inv.stop();
  });

  it('pushes an upsert for nodes whose MachineDeployment becomes known', async () => {
    const src = new FakeSource();
    src.state.set('n1', node('n1', 1, { labels: { 'machine-controller/owned-by': 'm-uid' } }));
    src.state.set('n2', node('n2', 2));
    const { inv, events } = setup(src);
    inv.start();
    await inv.synced();
    inv.setOwnership(
      MachineOwnership.build(
        [{ metadata: { name: 'm', namespace: 'kube-system', uid: 'm-uid', ownerReferences: [{ kind: 'MachineSet', name: 'ms' }] } }],
        [{ metadata: { name: 'ms', namespace: 'kube-system', ownerReferences: [{ kind: 'MachineDeployment', name: 'pool-a' }] } }],
      ),
    );
    const upserts = events.filter((e) => e.type === 'upsert');
    assert.equal(upserts.length, 1);
    assert.equal(upserts[0]?.type === 'upsert' && upserts[0].node.machineDeployment, 'pool-a');
    assert.equal(inv.get('n2')?.machineDeployment, null);
    await inv.stop();
  });
});
