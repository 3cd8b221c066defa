// Issue 13 (h1b): a run killed while it held a node's claim must not hold that node for good. The claim carries
// a renewal time its live owner refreshes; once it is older than the owner's Lease duration the next run takes
// the node over, with the originals the dead run recorded on the Node (not the state that run left behind).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markKeys, readMark, type NodeMark } from '../../app/cluster/node-annotations.ts';
import { claimIsLive } from '../../app/pipeline/node-claim.ts';
import { Run } from '../../app/pipeline/rollout.ts';
import { FakeCluster, FakeFlatcar, fakeDeps, testOptions, virtualClock } from './pipeline-fakes.ts';

const T0 = Date.parse('2026-11-26T12:00:00Z');
const mark = (m: Partial<NodeMark>): NodeMark => ({
  instance: 'gone@laptop#9', run: 'dead-run', step: 'update', since: new Date(T0).toISOString(), renewed: null, claimSeconds: null,
  cordonedByUs: false, ueOriginal: null, lsOriginal: null, serverLifted: false, fluoPausedBefore: null, bootIdBefore: null,
  fromVersion: null, toVersion: null, attention: null, stagedVersion: null, ...m,
});

describe('a node claim tells whether its run is alive', () => {
  it('held while renewed within its Lease duration, abandoned after it', () => {
    const renewed = mark({ renewed: new Date(T0).toISOString(), claimSeconds: '15' });
    assert.equal(claimIsLive(renewed, T0 + 14_999), true);
    assert.equal(claimIsLive(renewed, T0 + 15_000), false);
  });

  it('a run that stopped (needs attention) holds nothing; a mark with no renewal time (older flatdeck) stays held', () => {
    assert.equal(claimIsLive(mark({ renewed: new Date(T0).toISOString(), claimSeconds: '15', attention: 'drain blocked' }), T0), false);
    assert.equal(claimIsLive(mark({}), T0 + 3_600_000), true);
  });

  it('a fresh run takes a killed run\'s node over once the claim lapsed, and restores the originals that run recorded', async () => {
    const clock = virtualClock(T0);
    const cluster = new FakeCluster(clock);
    const nodes = new Map<string, FakeFlatcar>();
    const node = cluster.addNode('worker-1', '4230.2.4', 'worker-1-boot-0');
    cluster.addPod('worker-1', 'worker-1-web');
    // the killed run had unmasked and started update-engine (originally masked and stopped) for its download
    nodes.set('worker-1', new FakeFlatcar('worker-1', { version: '4230.2.4', offered: '4459.2.1', ue: { file: 'disabled', active: true } }, cluster, clock));
    node.metadata!.annotations = {
      [markKeys.instance]: 'gone@laptop#9', [markKeys.run]: 'dead-run', [markKeys.step]: 'update', [markKeys.since]: new Date(T0).toISOString(),
      [markKeys.renewed]: new Date(T0).toISOString(), [markKeys.claimSeconds]: '3', [markKeys.ueOriginal]: 'masked,inactive',
    };
    const { deps, events } = fakeDeps(cluster, nodes, clock);

    const end = await new Run(deps, { kind: 'single', nodes: ['worker-1'], options: testOptions({ leaseDurationSeconds: 3 }) }).done;

    assert.equal(end.status, 'succeeded', JSON.stringify(end.error));
    const said = events.flatMap((e) => (e.topic === 'step' ? [e.payload.message] : []));
    assert.ok(said.some((m) => /claimed by flatdeck run dead-run of gone@laptop#9, which stopped renewing its claim/.test(m)), said.join('\n'));
    assert.deepEqual(await nodes.get('worker-1')!.unitState('update-engine.service'), { file: 'masked', active: false }, 'update-engine as it was before the killed run');
    assert.equal(readMark(cluster.nodesByName.get('worker-1')!), null, 'no marks left');
  });
});
