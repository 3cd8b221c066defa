// Node reads, watches and their resumption: what the inventory informer relies on.
import assert from 'node:assert/strict';
import { ContentType, type WatchEvent } from '../../../sim/kubelet/rest-client.ts';
import type { ContractCase, KubeList, StatusBody } from './helpers.ts';
import type { ContractTarget } from './target.ts';

interface Node {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string> };
  spec: { unschedulable?: boolean };
  status: { nodeInfo: { bootID: string; osImage: string; kubeletVersion: string }; addresses: Array<{ type: string; address: string }> };
}

function firstNode(t: ContractTarget) {
  const node = t.nodes[0];
  assert.ok(node, 'the target runs at least one kubelet-role node');
  return node;
}

/** Watches from `rv` and collects events until `until` is satisfied (or the timeout). */
async function collectWatch<T>(t: ContractTarget, path: string, until: (events: WatchEvent<T>[]) => boolean): Promise<WatchEvent<T>[]> {
  const events: WatchEvent<T>[] = [];
  const handle = t.admin.watch<T>(path, (ev) => {
    events.push(ev);
    if (until(events)) handle.abort();
  });
  const timer = setTimeout(() => handle.abort(), 20_000);
  try {
    await handle.done;
  } finally {
    clearTimeout(timer);
  }
  return events;
}

const labelOf = (ev: WatchEvent<Node>, key: string) => ev.object.metadata.labels?.[key];

export const nodeCases: ContractCase[] = [
  {
    name: 'nodes: list and get show the kubelet-reported node info',
    async run(t) {
      const node = firstNode(t);
      const list = await t.admin.get<KubeList<Node>>('/api/v1/nodes');
      assert.match(list.metadata.resourceVersion, /^\d+$/);
      const listed = list.items.find((n) => n.metadata.name === node.name);
      assert.ok(listed, `node ${node.name} is listed`);
      const got = await t.admin.get<Node>(`/api/v1/nodes/${node.name}`);
      assert.equal(got.status.nodeInfo.bootID, node.bootId());
      assert.equal(got.status.nodeInfo.osImage, node.osRelease().prettyName);
      assert.deepEqual(
        got.status.addresses.find((a) => a.type === 'InternalIP'),
        { type: 'InternalIP', address: node.address },
      );
      const bySelector = await t.admin.get<KubeList<Node>>(`/api/v1/nodes?labelSelector=${encodeURIComponent(`kubernetes.io/hostname=${node.name}`)}`);
      assert.deepEqual(bySelector.items.map((n) => n.metadata.name), [node.name]);
    },
  },
  {
    name: 'nodes: get of a missing node is a NotFound Status',
    async run(t) {
      const res = await t.admin.raw<StatusBody>('GET', '/api/v1/nodes/no-such-node');
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'nodes "no-such-node" not found',
        reason: 'NotFound',
        details: { name: 'no-such-node', kind: 'nodes' },
        code: 404,
      });
    },
  },
  {
    name: 'nodes: a watch resumes from a resourceVersion without replaying older changes',
    async run(t) {
      const node = firstNode(t);
      const key = 'contract.flatdeck.dev/watch';
      const path = `/api/v1/nodes/${node.name}`;
      const selector = `fieldSelector=${encodeURIComponent(`metadata.name=${node.name}`)}`;
      // The list's resourceVersion is current; the node's own may be older than the server's watch window.
      const start = (await t.admin.get<KubeList<Node>>(`/api/v1/nodes?${selector}`)).metadata.resourceVersion;
      const firstWatch = collectWatch<Node>(t, `/api/v1/nodes?watch=1&${selector}&resourceVersion=${start}`, (evs) => evs.some((e) => labelOf(e, key) === 'one'));
      await new Promise((r) => setTimeout(r, 300));
      await t.admin.call('PATCH', path, { metadata: { labels: { [key]: 'one' } } }, ContentType.merge);
      const seen = await firstWatch;
      const one = seen.find((e) => labelOf(e, key) === 'one');
      assert.ok(one, `saw the first change (events: ${seen.map((e) => e.type).join(',')})`);
      assert.equal(one.type, 'MODIFIED');

      await t.admin.call('PATCH', path, { metadata: { labels: { [key]: 'two' } } }, ContentType.merge);
      const resumed = await collectWatch<Node>(t, `/api/v1/nodes?watch=1&${selector}&resourceVersion=${one.object.metadata.resourceVersion}`, (evs) =>
        evs.some((e) => labelOf(e, key) === 'two'),
      );
      assert.ok(resumed.some((e) => e.type === 'MODIFIED' && labelOf(e, key) === 'two'), 'the resumed watch delivers the later change');
      assert.ok(!resumed.some((e) => labelOf(e, key) === 'one'), 'and not the change it had already seen');
      await t.admin.call('PATCH', path, { metadata: { labels: { [key]: null } } }, ContentType.merge);
    },
  },
  {
    name: 'nodes: a watch from a compacted resourceVersion ends in 410 Expired, and a relist recovers',
    async run(t) {
      await t.expireWatchHistory();
      const res = await t.admin.raw<StatusBody | string>('GET', '/api/v1/nodes?watch=1&resourceVersion=1&timeoutSeconds=2');
      let status: StatusBody;
      if (res.status === 200) {
        // A watch cache answers 200 and sends the expiry as the stream's only event, of type ERROR.
        const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
        const first = JSON.parse(text.trim().split('\n')[0] ?? '{}') as WatchEvent<StatusBody>;
        assert.equal(first.type, 'ERROR', text.slice(0, 300));
        status = first.object;
      } else {
        assert.equal(res.status, 410);
        status = res.body as StatusBody;
      }
      assert.equal(status.kind, 'Status');
      assert.equal(status.code, 410);
      assert.equal(status.reason, 'Expired');
      assert.match(status.message, /^too old resource version: 1 \(\d+\)$/);
      const relist = await t.admin.get<KubeList<Node>>('/api/v1/nodes');
      assert.ok(relist.items.length >= t.nodes.length);
    },
  },
];
