// A cluster of thousands is followed in part: each followed node holds an SSH connection, so the live watch follows
// at most `maxFollowed` nodes, and the next waiting node (in inventory order) takes a place as soon as one frees.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeLiveState, NodesEvent, NodeSummary } from '../../app/api/nodes.ts';
import type { NodeInventory } from '../../app/cluster/inventory.ts';
import { LiveWatch } from '../../app/service/live-watch.ts';
import { defaultFollowTiming } from '../../app/service/node-follower.ts';
import { virtualClock } from '../support/virtual-clock.ts';
import { reachableNode } from './fake-flatcar-node.ts';

const summary = (name: string, distribution = 'flatcar') => ({ name, distribution }) as NodeSummary;

/** Just what the watch reads of an inventory: its nodes, and its events pushed by the test. */
function fakeInventory(nodes: NodeSummary[]) {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const listeners = new Set<(e: NodesEvent) => void>();
  const inventory = {
    get: (name: string) => byName.get(name),
    snapshot: (): NodesEvent => ({ type: 'snapshot', cluster: 'c', nodes: [...byName.values()] }) as NodesEvent,
    onEvent: (l: (e: NodesEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
    onStatus: () => () => undefined,
  };
  const remove = (name: string) => {
    byName.delete(name);
    for (const l of listeners) l({ type: 'delete', cluster: 'c', name } as NodesEvent);
  };
  return { inventory: inventory as unknown as NodeInventory, remove };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('the live watch of a large cluster', () => {
  it('follows at most maxFollowed nodes; a freed place goes to the next waiting node; stop ends them all', async () => {
    const names = ['worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5'];
    const { inventory, remove } = fakeInventory([...names.map((n) => summary(n)), summary('ubuntu-1', 'ubuntu')]);
    const dialled: string[] = [];
    const emitted: NodeLiveState[] = [];
    const watch = new LiveWatch({
      inventory,
      connect: async (node) => (dialled.push(node.name), reachableNode(undefined, node.name)),
      emit: (s) => emitted.push(s),
      clock: virtualClock(),
      timing: defaultFollowTiming,
      maxFollowed: 2,
      onStopped: () => undefined,
    });
    await settle();
    assert.deepEqual([watch.size, watch.waiting], [2, 3], 'two followed, the other three Flatcar nodes wait; the Ubuntu node is not followed');
    assert.deepEqual(dialled, ['worker-1', 'worker-2']);

    remove('worker-1');
    await settle();
    assert.deepEqual([watch.size, watch.waiting], [2, 2]);
    assert.deepEqual(dialled, ['worker-1', 'worker-2', 'worker-3'], 'the next waiting node in order took the freed place');

    remove('worker-5');
    await settle();
    assert.deepEqual([watch.size, watch.waiting], [2, 1], 'a waiting node that leaves the cluster is no longer waited for');

    watch.stop();
    assert.deepEqual([watch.size, watch.waiting], [0, 0]);
    assert.ok(emitted.some((s) => s.node === 'worker-3'), 'the promoted node is read and shown');
  });
});
