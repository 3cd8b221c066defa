import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markKeys } from '../../app/cluster/node-annotations.ts';
import { Run } from '../../app/pipeline/rollout.ts';
import { FakeCluster, FakeFlatcar, fakeDeps, testOptions, virtualClock } from './pipeline-fakes.ts';

function world() {
  const clock = virtualClock();
  const cluster = new FakeCluster(clock);
  const nodes = new Map<string, FakeFlatcar>();
  cluster.addNode('worker-1', '4230.2.4', 'worker-1-boot-0');
  cluster.addPod('worker-1', 'worker-1-web');
  nodes.set('worker-1', new FakeFlatcar('worker-1', { version: '4230.2.4', offered: '4459.2.1', ue: { file: 'masked', active: false } }, cluster, clock));
  return { clock, cluster, nodes, ...fakeDeps(cluster, nodes, clock) };
}

const isUncordon = (patch: object) => (patch as { spec?: { unschedulable?: unknown } }).spec?.unschedulable === null;

describe('a cleanup that fails is recorded on the node, never dropped', () => {
  it('an uncordon that fails after a failed drain leaves the node as needing attention, marked on the Node', async () => {
    const w = world();
    w.cluster.failPodListsWhileCordoned('etcdserver: leader changed', 500);
    const patch = w.cluster.nodes.mergePatchNode;
    w.cluster.nodes.mergePatchNode = async (node, p) => {
      if (isUncordon(p)) throw Object.assign(new Error('connection refused'), { code: null });
      return patch(node, p);
    };

    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;

    assert.equal(state.status, 'failed');
    assert.match(state.error?.message ?? '', /leader changed/, 'the run names the failure that stopped it');
    const node = state.nodes[0];
    assert.equal(node?.phase, 'needs-attention');
    assert.match(node?.attention[0] ?? '', /Uncordoning worker-1 .*failed \(connection refused\)/);
    assert.match(node?.attention[1] ?? '', /boots 4459\.2\.1 at its next reboot/, 'and its staged update is not hidden either');
    assert.deepEqual(
      node?.notes.map((n) => [n.code, n.params]),
      [
        ['cleanup.uncordon', { node: 'worker-1', error: 'connection refused' }],
        ['staged.failed', { node: 'worker-1', version: '4459.2.1' }],
      ],
      'each also as a code with the values the UI words it from',
    );
    const stepCodes = w.events.flatMap((e) => (e.topic === 'step' && e.payload.code === 'attention' ? [e.payload.params.note] : []));
    assert.deepEqual(stepCodes, ['cleanup.uncordon', 'staged.failed'], 'and the node\'s events name the same notes');
    assert.equal(w.cluster.unschedulable('worker-1'), true, 'still cordoned, and now everyone can see why');
    assert.match(w.cluster.annotations('worker-1')[markKeys.attention] ?? '', /Uncordoning worker-1/);
    assert.equal(w.cluster.annotations('worker-1')[markKeys.instance], 'tester@host#1', 'the mark says who left it');
    const attentionEvents = w.events.filter((e) => e.topic === 'step' && e.payload.status === 'failed' && e.payload.detail.attention === true);
    assert.equal(attentionEvents.length, 2, 'the operator sees each as its own event');
    assert.equal(JSON.parse(w.cluster.lease ?? '{}').spec.holderIdentity, '', 'the lock was still released');
  });

  it('a node that updated fine but whose update-engine could not be masked again is not "succeeded"', async () => {
    const w = world();
    const fc = w.nodes.get('worker-1')!;
    const setUnit = fc.setUnit.bind(fc);
    fc.setUnit = async (unit, action) => {
      if (action === 'mask') throw new Error('Failed to mask unit: Access denied');
      return setUnit(unit, action);
    };

    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;

    assert.equal(fc.rebooted, 1);
    assert.equal(w.cluster.unschedulable('worker-1'), false, 'uncordoned as usual');
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.kind, 'needs-attention');
    assert.equal(state.nodes[0]?.phase, 'needs-attention');
    assert.match(state.nodes[0]?.attention[0] ?? '', /Restoring update-engine on worker-1 to masked,inactive .*Access denied/);
    assert.match(w.cluster.annotations('worker-1')[markKeys.attention] ?? '', /Restoring update-engine/);
    const last = w.journal.all.filter((e) => e.type === 'node').at(-1);
    assert.equal(last?.record?.ueOriginal, 'masked,inactive', 'the original stays in the journal for a hand-back');
    assert.equal(last?.record?.phase, 'needs-attention');
  });
});
