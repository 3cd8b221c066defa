import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { judgeCluster, type ClusterView } from '../../app/pipeline/cluster-lock.ts';

const node = (name: string, o: { cordoned?: boolean; ready?: boolean; mark?: Record<string, string> } = {}): V1Node => ({
  metadata: { name, annotations: Object.fromEntries(Object.entries(o.mark ?? {}).map(([k, v]) => [`flatdeck.io/${k}`, v])) },
  spec: { unschedulable: o.cordoned ?? false },
  status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'Unknown' : 'True' }] },
});
const mark = (run: string, step: string, extra: Record<string, string> = {}) => ({ instance: `op@${run}`, run, step, since: '2026-12-04T18:00:00Z', ...extra });
const view = (nodes: V1Node[], extra: Partial<ClusterView> = {}): ClusterView => ({ nodes, self: 'worker-9', runId: 'mine', liveHolder: null, override: [], ...extra });

describe('whether another node keeps this run from its next reboot', () => {
  it('a node cordoned or down with a needs-attention record stops every run, naming the way out', () => {
    const cordoned = judgeCluster(view([node('worker-1', { cordoned: true, mark: mark('old', 'drain', { 'needs-attention': 'drain timed out' }) })]));
    assert.ok(cordoned && 'stop' in cordoned);
    assert.match(cordoned.stop, /worker-1 is out of service and needs attention \(drain timed out.*flatdeck resume --hand-back old/);
    const down = judgeCluster(view([node('worker-1', { ready: false, mark: mark('mine', 'verify', { 'needs-attention': 'did not come back' }) })]));
    assert.ok(down && 'stop' in down, 'also a node our own run left down');
  });

  it('a needs-attention record on a node that is up and schedulable does not hold anyone back', () => {
    assert.equal(judgeCluster(view([node('worker-1', { mark: mark('old', 'release', { 'needs-attention': 'update-engine left running' }) })])), null);
  });

  it('the operator may accept a named node as out of service', () => {
    const nodes = [node('worker-1', { cordoned: true, mark: mark('old', 'drain', { 'needs-attention': 'x' }) })];
    assert.equal(judgeCluster(view(nodes, { override: ['worker-1'] })), null);
  });

  it('a live holder mid-cycle means wait; a holder that lost the Lease left its node mid-cycle: stop with resume/hand-back', () => {
    const nodes = [node('worker-1', { cordoned: true, mark: mark('other', 'drain') })];
    const live = judgeCluster(view(nodes, { liveHolder: 'op@other' }));
    assert.ok(live && 'wait' in live);
    assert.match(live.wait, /worker-1 is in step drain of flatdeck run other/);
    const dead = judgeCluster(view(nodes, { liveHolder: null }));
    assert.ok(dead && 'stop' in dead);
    assert.match(dead.stop, /flatdeck resume other/);
  });

  it('marks outside the disruptive steps (download, settle) and our own run\'s marks are no reason to wait', () => {
    assert.equal(judgeCluster(view([node('worker-1', { mark: mark('other', 'update') }), node('worker-2', { cordoned: true, mark: mark('mine', 'drain') })])), null);
  });
});
