import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { judgeCluster, type ClusterView } from '../../app/pipeline/cluster-lock.ts';

const node = (name: string, o: { cordoned?: boolean; ready?: boolean; mark?: Record<string, string>; labels?: Record<string, string> } = {}): V1Node => ({
  metadata: { name, labels: o.labels ?? {}, annotations: Object.fromEntries(Object.entries(o.mark ?? {}).map(([k, v]) => [`flatdeck.io/${k}`, v])) },
  spec: { unschedulable: o.cordoned ?? false },
  status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'Unknown' : 'True' }] },
});
const mark = (run: string, step: string, extra: Record<string, string> = {}) => ({ instance: `op@${run}`, run, step, since: '2026-12-04T18:00:00Z', ...extra });
const view = (nodes: V1Node[], extra: Partial<ClusterView> = {}): ClusterView => ({ nodes, self: 'worker-9', runId: 'mine', liveHolders: [], override: [], ...extra });

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
    const live = judgeCluster(view(nodes, { liveHolders: ['op@other'] }));
    assert.ok(live && 'wait' in live);
    assert.match(live.wait, /worker-1 is in step drain of flatdeck run other/);
    const dead = judgeCluster(view(nodes, { liveHolders: [] }));
    assert.ok(dead && 'stop' in dead);
    assert.match(dead.stop, /flatdeck resume other/);
  });

  it('marks outside the disruptive steps (download, settle) and our own run\'s marks are no reason to wait', () => {
    assert.equal(judgeCluster(view([node('worker-1', { mark: mark('other', 'update') }), node('worker-2', { cordoned: true, mark: mark('mine', 'drain') })])), null);
  });
});

describe('K nodes at a time, never two in one failure domain', () => {
  const zone = (z: string) => ({ 'topology.kubernetes.io/zone': z });
  const self = node('worker-9', { labels: zone('zone-c') });
  const inDrain = (name: string, z: string) => node(name, { cordoned: true, labels: zone(z), mark: mark('other', 'drain') });
  const live = { liveHolders: ['op@other'] };

  it('K=2: one node out of service in another zone leaves room; a second one means wait, naming both', () => {
    assert.equal(judgeCluster(view([self, inDrain('worker-1', 'zone-a')], { ...live, maxUnavailable: 2 })), null);
    const full = judgeCluster(view([self, inDrain('worker-1', 'zone-a'), inDrain('worker-2', 'zone-b')], { ...live, maxUnavailable: 2 }));
    assert.ok(full && 'wait' in full);
    assert.match(full.wait, /2 nodes are out of service, at most 2 at once: node worker-1 .*; node worker-2 /);
  });

  it('a node out of service in our own zone means wait, whatever K allows', () => {
    const verdict = judgeCluster(view([self, inDrain('worker-3', 'zone-c')], { ...live, maxUnavailable: 3 }));
    assert.ok(verdict && 'wait' in verdict);
    assert.match(verdict.wait, /worker-3 .*same failure domain \(topology\.kubernetes\.io\/zone=zone-c\)/);
  });

  it('another label can name the domains; nodes without the label are each a domain of their own', () => {
    const rack = (r: string) => ({ 'example.com/rack': r });
    const nodes = [node('worker-9', { labels: { ...zone('zone-a'), ...rack('r1') } }), node('worker-1', { cordoned: true, labels: { ...zone('zone-a'), ...rack('r2') }, mark: mark('other', 'drain') })];
    assert.equal(judgeCluster(view(nodes, { ...live, maxUnavailable: 2, domainLabel: 'example.com/rack' })), null);
    assert.ok(judgeCluster(view(nodes, { ...live, maxUnavailable: 2 })), 'the same two nodes share a zone');
    assert.equal(judgeCluster(view([node('worker-9'), node('worker-1', { cordoned: true, mark: mark('other', 'drain') })], { ...live, maxUnavailable: 2 })), null);
  });

  it('slots other holders took count like nodes out of service, with the domain recorded on the slot, once per node', () => {
    const claims = [{ node: 'worker-4', domain: 'zone-c', holder: 'op@other' }];
    const verdict = judgeCluster(view([self], { ...live, maxUnavailable: 2, claims }));
    assert.ok(verdict && 'wait' in verdict);
    assert.match(verdict.wait, /worker-4 holds a slot of the cluster update lock \(op@other\), in the same failure domain/);
    const twice = [inDrain('worker-1', 'zone-a'), self];
    assert.equal(judgeCluster(view(twice, { ...live, maxUnavailable: 2, claims: [{ node: 'worker-1', domain: 'zone-a', holder: 'op@other' }] })), null);
  });

  it('K=1 waits for any one node out of service, as before', () => {
    const verdict = judgeCluster(view([self, inDrain('worker-1', 'zone-a')], live));
    assert.ok(verdict && 'wait' in verdict);
    assert.match(verdict.wait, /^node worker-1 is in step drain/);
  });
});
