// What a run waits for at the cluster lock reaches the UI as a code with its parameters beside the English text,
// so the run panel can say it in the operator's language (issue #15).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { ApiError } from '../../app/api/errors.ts';
import { fluoKeys } from '../../app/cluster/node-keys.ts';
import { ClusterLock, judgeCluster, type ClusterView } from '../../app/pipeline/cluster-lock.ts';
import { RunControl } from '../../app/pipeline/run-context.ts';
import { zonedCluster } from './lease-server-fake.ts';
import { FakeCluster, fakeDeps, virtualClock } from './pipeline-fakes.ts';

const zoned = (name: string, zone: string, annotations: Record<string, string> = {}, cordoned = false): V1Node => ({
  metadata: { name, labels: { 'topology.kubernetes.io/zone': zone }, annotations },
  spec: { unschedulable: cordoned },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});
const since = '2026-12-04T18:00:00Z';
const inDrain = (name: string, zone: string) =>
  zoned(name, zone, { 'flatdeck.io/instance': 'op@other', 'flatdeck.io/run': 'other', 'flatdeck.io/step': 'drain', 'flatdeck.io/since': since }, true);
const view = (nodes: V1Node[], extra: Partial<ClusterView> = {}): ClusterView => ({ nodes, self: 'worker-9', runId: 'mine', liveHolders: ['op@other'], override: [], ...extra });
const self = zoned('worker-9', 'zone-c');

function waitOf(v: ClusterView) {
  const verdict = judgeCluster(v);
  assert.ok(verdict && 'wait' in verdict, 'a wait');
  return verdict;
}

describe('judgeCluster says why it waits as a code with parameters, beside the same English text', () => {
  it('FLUO rebooting a node: the node and FLUO\'s state', () => {
    const w = waitOf(view([self, zoned('worker-1', 'zone-a', { [fluoKeys.rebootInProgress]: 'true' })]));
    assert.equal(w.wait, 'FLUO is rebooting node worker-1 (reboot-in-progress)');
    assert.deepEqual(w.note, { code: 'fluoRebooting', params: { node: 'worker-1', state: 'reboot-in-progress' } });
  });

  it('another run mid-cycle: its node, step, run, instance and since', () => {
    const w = waitOf(view([self, inDrain('worker-1', 'zone-a')]));
    assert.equal(w.wait, `node worker-1 is in step drain of flatdeck run other by op@other (since ${since})`);
    assert.deepEqual(w.note, { code: 'nodeInStep', params: { node: 'worker-1', step: 'drain', run: 'other', instance: 'op@other', since } });
  });

  it('a slot of the lock, with and without the node it is for', () => {
    const named = waitOf(view([self], { claims: [{ node: 'worker-4', domain: 'zone-a', holder: 'op@other' }] }));
    assert.deepEqual(named.note, { code: 'nodeHoldsSlot', params: { node: 'worker-4', holder: 'op@other' } });
    const unnamed = waitOf(view([self], { claims: [{ node: null, domain: null, holder: 'op@other' }] }));
    assert.equal(unnamed.wait, 'op@other holds a slot of the cluster update lock');
    assert.deepEqual(unnamed.note, { code: 'holderHoldsSlot', params: { holder: 'op@other' } });
  });

  it('K nodes out of service: the count, K, and each node\'s reason as a part', () => {
    const w = waitOf(view([self, inDrain('worker-1', 'zone-a'), zoned('worker-2', 'zone-b', { [fluoKeys.rebootOk]: 'true' })], { maxUnavailable: 2 }));
    assert.match(w.wait, /^2 nodes are out of service, at most 2 at once: node worker-1 is in step drain .*; FLUO is rebooting node worker-2 \(reboot-ok\)$/);
    assert.equal(w.note.code, 'lockFull');
    assert.deepEqual(w.note.params, { count: 2, max: 2 });
    assert.deepEqual(w.note.parts?.map((p) => [p.code, p.params.node]), [['nodeInStep', 'worker-1'], ['fluoRebooting', 'worker-2']]);
  });

  it('a node out in our own failure domain: the label, its value and that node\'s reason', () => {
    const w = waitOf(view([self, inDrain('worker-3', 'zone-c')], { maxUnavailable: 3 }));
    assert.match(w.wait, /^node worker-3 is in step drain .*, in the same failure domain \(topology\.kubernetes\.io\/zone=zone-c\)$/);
    assert.equal(w.note.code, 'lockSameDomain');
    assert.deepEqual(w.note.params, { label: 'topology.kubernetes.io/zone', value: 'zone-c' });
    assert.deepEqual(w.note.parts?.map((p) => p.code), ['nodeInStep']);
  });
});

/** Records every wait a run shows: the English text and its note. */
function recording(control: RunControl) {
  const shown: Array<{ text: string | null; code: string | null; params: Record<string, unknown> }> = [];
  const set = control.setWaiting.bind(control);
  control.setWaiting = (text, note = null) => {
    set(text, note);
    shown.push({ text: control.waitingFor, code: control.waiting?.code ?? null, params: control.waiting?.params ?? {} });
  };
  return shown;
}

describe('the lock\'s own waits carry a code too', () => {
  it('K = 1: another instance holds the Lease, with how long it has been silent and when it counts as abandoned', async () => {
    const clock = virtualClock();
    const cluster = new FakeCluster(clock);
    cluster.addNode('worker-1', '4757.2.0', 'b1');
    cluster.addNode('worker-2', '4757.2.0', 'b2');
    const theirs = new ClusterLock(fakeDeps(cluster, new Map(), clock, 'op@elsewhere#1').deps, 15);
    await theirs.acquire('worker-2', 'their-run', new RunControl());
    const control = new RunControl();
    const shown = recording(control);
    const ours = new ClusterLock(fakeDeps(cluster, new Map(), clock).deps, 15, { waitLimitMs: 3000, override: [] });
    await assert.rejects(ours.acquire('worker-1', 'run-1', control), (e: unknown) => e instanceof ApiError && e.kind === 'lock-held');
    await theirs.release();
    const first = shown[0];
    assert.match(first?.text ?? '', /^the cluster update lock kube-system\/flatdeck-update-lock is held by op@elsewhere#1 \(no renewal seen for \d+ s; it counts as abandoned in \d+ s unless renewed\)$/);
    assert.equal(first?.code, 'leaseHeld');
    const { lock, holder, silent, expires } = first?.params ?? {};
    assert.deepEqual({ lock, holder }, { lock: 'kube-system/flatdeck-update-lock', holder: 'op@elsewhere#1' });
    assert.equal(first?.text, `the cluster update lock ${lock} is held by ${holder} (no renewal seen for ${silent} s; it counts as abandoned in ${expires} s unless renewed)`, 'the numbers are the ones the text says');
  });

  it('K = 2: both slots taken by another instance in other zones shows the count, K and both nodes', async () => {
    const clock = virtualClock();
    const { cluster, server } = zonedCluster(clock, { 'worker-1': 'zone-a', 'worker-2': 'zone-b', 'worker-3': 'zone-c' });
    const slots = (holder: string, waitLimitMs = 3000) => {
      const { deps } = fakeDeps(cluster, new Map(), clock, holder);
      return () => new ClusterLock(deps, 15, { waitLimitMs, override: [], slots: { count: 2, domainLabel: 'topology.kubernetes.io/zone', stores: server.stores, fluo: { start: async () => undefined, stop: async () => undefined } } });
    };
    const theirs = slots('op@elsewhere#1');
    const held = [theirs(), theirs()];
    await held[0]!.acquire('worker-1', 'their-run', new RunControl());
    await held[1]!.acquire('worker-2', 'their-run', new RunControl());
    const control = new RunControl();
    const shown = recording(control);
    await assert.rejects(slots('tester@host#1')().acquire('worker-3', 'run-1', control), (e: unknown) => e instanceof ApiError && e.kind === 'lock-held');
    for (const l of held) await l.release();
    assert.match(shown[0]?.text ?? '', /^2 nodes are out of service, at most 2 at once: node worker-\d holds a slot .*; node worker-\d holds a slot /);
    assert.equal(shown[0]?.code, 'lockFull');
    assert.deepEqual(shown[0]?.params, { count: 2, max: 2 });
    assert.deepEqual(control.waiting?.parts?.map((p) => [p.code, p.params.node, p.params.holder]).sort(), [['nodeHoldsSlot', 'worker-1', 'op@elsewhere#1'], ['nodeHoldsSlot', 'worker-2', 'op@elsewhere#1']]);
  });
});
