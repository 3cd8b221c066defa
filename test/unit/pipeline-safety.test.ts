import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../app/api/errors.ts';
import { fluoKeys, markKeys } from '../../app/cluster/node-annotations.ts';
import { Run } from '../../app/pipeline/rollout.ts';
import { FakeCluster, FakeFlatcar, fakeDeps, testOptions, virtualClock } from './pipeline-fakes.ts';

function world(name = 'worker-1') {
  const clock = virtualClock();
  const cluster = new FakeCluster(clock);
  const nodes = new Map<string, FakeFlatcar>();
  cluster.addNode(name, '4230.2.4', `${name}-boot-0`);
  cluster.addPod(name, `${name}-web`);
  nodes.set(name, new FakeFlatcar(name, { version: '4230.2.4', offered: '4459.2.1', ue: { file: 'masked', active: false } }, cluster, clock));
  return { clock, cluster, nodes, ...fakeDeps(cluster, nodes, clock) };
}

const leaseHolder = (cluster: FakeCluster) => (JSON.parse(cluster.lease ?? '{}') as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? '';

describe('two runs on one node (F1)', () => {
  it('one run claims the node; the other waits, finds it current and never touches update-engine', async () => {
    const w = world();
    const second = fakeDeps(w.cluster, w.nodes, w.clock, 'other@desk#2');
    const first = new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions({ restoreAfterBootSeconds: 60 }) });
    const late = new Run(second.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions({ restoreAfterBootSeconds: 60 }) });
    const [a, b] = await Promise.all([first.done, late.done]);

    assert.equal(a.status, 'succeeded');
    assert.equal(b.status, 'succeeded');
    assert.equal(b.nodes[0]?.phase, 'current', 'the second run found the node already updated');
    const fc = w.nodes.get('worker-1')!;
    assert.equal(fc.rebooted, 1, 'rebooted once');
    const systemctl = fc.log.filter((l) => l.startsWith('systemctl'));
    assert.deepEqual(systemctl, ['systemctl unmask update-engine.service', 'systemctl start update-engine.service', 'systemctl reboot', 'systemctl stop update-engine.service', 'systemctl mask update-engine.service'], 'only the owner changed and restored update-engine, once');
    const bCommands = second.events.filter((e) => e.topic === 'step' && e.payload.step === 'update');
    assert.equal(bCommands.length, 0, 'the second run never started an update step of its own');
    assert.ok(second.events.some((e) => e.topic === 'rollout' && /being updated by tester@host#1/.test(e.payload.waitingFor ?? '')), 'it said whom it waited for');
    const coded = second.events.flatMap((e) => (e.topic === 'rollout' && e.payload.waiting ? [e.payload.waiting] : []));
    assert.equal(coded[0]?.code, 'nodeClaimed', 'and as a code the UI words');
    assert.equal(coded[0]?.params.instance, 'tester@host#1');
  });
});

describe('originals (F9)', () => {
  it('a run taking over a node another run left keeps that run\'s originals, not the state it left', async () => {
    const w = world();
    const fc = w.nodes.get('worker-1')!;
    // the earlier run had unmasked and started update-engine and paused FLUO, then stopped needing attention
    fc.log.length = 0;
    Object.assign(w.cluster.annotations('worker-1'), {
      [markKeys.instance]: 'gone@laptop#9',
      [markKeys.run]: 'run-earlier',
      [markKeys.step]: 'update',
      [markKeys.since]: '2026-11-26T11:00:00Z',
      [markKeys.attention]: 'boots 4459.2.1 at its next reboot',
      [markKeys.ueOriginal]: 'masked,inactive',
      [markKeys.fluoPausedBefore]: 'absent',
      [fluoKeys.rebootPaused]: 'true',
    });
    await fc.setUnit('update-engine.service', 'unmask');
    await fc.setUnit('update-engine.service', 'start');

    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;

    assert.equal(state.status, 'succeeded');
    assert.equal(fc.rebooted, 1);
    assert.equal(fc.log.at(-1), 'systemctl mask update-engine.service', 'masked again, as it was before anyone touched it');
    const ann = w.cluster.annotations('worker-1');
    assert.equal(ann[fluoKeys.rebootPaused], undefined, 'FLUO no longer paused: it was not before the first run');
    assert.deepEqual(Object.keys(ann).filter((k) => k.startsWith('flatdeck.io/')), []);
  });
});

describe('cancel during the reboot wait (F5)', () => {
  it('stops waiting at once instead of spinning, and leaves the node cordoned and marked for resume', async () => {
    const w = world();
    const fc = w.nodes.get('worker-1')!;
    let down = false;
    let askedWhileDown = 0;
    fc.reboot = async () => {
      fc.log.push('systemctl reboot');
      down = true;
    };
    const bootId = fc.bootId.bind(fc);
    fc.bootId = async () => {
      if (!down) return bootId();
      askedWhileDown++;
      throw new ApiError('ssh-unreachable', 'connect ECONNREFUSED', { node: 'worker-1' });
    };
    const run = new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() });
    w.deps.emit = (e) => {
      w.events.push(e);
      if (e.topic === 'step' && e.payload.step === 'verify' && e.payload.status === 'started') setImmediate(() => run.control.cancel());
    };
    const started = w.clock.nowMs();
    const state = await run.done;

    assert.equal(state.status, 'cancelled');
    assert.ok(askedWhileDown <= 3, `asked the node ${askedWhileDown} times after the cancel`);
    assert.ok(w.clock.nowMs() - started < 60_000, 'no wait for the reboot timeout');
    assert.equal(state.nodes[0]?.phase, 'needs-attention');
    assert.match(state.nodes[0]?.attention[0] ?? '', /cancelled while it rebooted; it stays cordoned until `flatdeck resume/);
    assert.deepEqual(state.nodes[0]?.notes.map((n) => [n.code, n.params]), [['rebootCancelled', { node: 'worker-1', runId: state.runId }]], 'the UI words it from a code and the run to resume');
    assert.equal(w.cluster.unschedulable('worker-1'), true);
    assert.equal(w.cluster.annotations('worker-1')[markKeys.bootIdBefore], 'worker-1-boot-0', 'resume can tell the new boot from the old');
    assert.equal(fc.log.includes('systemctl mask update-engine.service'), false, 'update-engine is never masked before the new boot is verified');
  });
});

describe('one lock for the whole node cycle (F10)', () => {
  it('holds the cluster lock through the health gate and the settle pause, then releases it', async () => {
    const w = world();
    const heldDuring: Record<string, string> = {};
    w.deps.emit = (e) => {
      w.events.push(e);
      if (e.topic === 'step' && e.payload.status === 'started' && ['health-gate', 'settle'].includes(e.payload.step)) heldDuring[e.payload.step] = leaseHolder(w.cluster);
    };
    const state = await new Run(w.deps, {
      kind: 'single',
      nodes: ['worker-1'],
      options: { ...testOptions({ settleSeconds: 60 }), healthGate: { kind: 'ssh', command: 'systemctl is-system-running', timeoutSeconds: 30 } },
    }).done;
    assert.equal(state.status, 'succeeded');
    assert.deepEqual(heldDuring, { 'health-gate': 'tester@host#1', settle: 'tester@host#1' });
    assert.equal(leaseHolder(w.cluster), '', 'released at the end');
    const order = w.events.flatMap((e) => (e.topic === 'step' && e.payload.status === 'succeeded' ? [e.payload.step] : []));
    assert.deepEqual(order.slice(-4), ['uncordon', 'health-gate', 'settle', 'release']);
  });
});

describe('a run that stops after the download, by the operator\'s choice (F2)', () => {
  it('discard: the node keeps booting its version, update-engine is put back, the skip is reported as not updated', async () => {
    const w = world();
    w.cluster.evictAnswer = () => 429;
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions({ drainTimeoutSeconds: 30, onDrainTimeout: 'skip', stagedUpdateOnStop: 'discard' }) }).done;

    assert.equal(state.status, 'failed', 'a skip is never a success');
    assert.match(state.error?.message ?? '', /worker-1 was not updated: its drain did not finish/);
    assert.equal(state.nodes[0]?.phase, 'skipped');
    assert.deepEqual(state.nodes[0]?.attention, [], 'nothing is left for the operator on this node');
    const fc = w.nodes.get('worker-1')!;
    const tail = fc.log.slice(fc.log.indexOf('flatcar-setgoodroot'));
    assert.deepEqual(tail, ['flatcar-setgoodroot', 'update_engine_client -reset_status', 'systemctl stop update-engine.service', 'systemctl mask update-engine.service'], 'discarded first, then update-engine put back');
    assert.equal(w.cluster.unschedulable('worker-1'), false);
    assert.deepEqual(Object.keys(w.cluster.annotations('worker-1')).filter((k) => k.startsWith('flatdeck.io/')), []);
    await fc.reboot();
    assert.equal(await fc.versionId(), '4230.2.4', 'an unplanned reboot keeps the current version');
  });

  it('keep (the default) after a failure: the staged update stays, visible, with update-engine running', async () => {
    const w = world();
    w.cluster.failPodListsWhileCordoned('pods is forbidden', 403);
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;

    assert.equal(state.status, 'failed');
    assert.equal(state.nodes[0]?.phase, 'needs-attention');
    assert.match(state.nodes[0]?.attention[0] ?? '', /boots 4459\.2\.1 at its next reboot: the update is staged \(pods is forbidden\)/);
    assert.equal(w.cluster.unschedulable('worker-1'), false, 'uncordoned: the node is in service');
    const fc = w.nodes.get('worker-1')!;
    assert.equal(fc.log.includes('systemctl mask update-engine.service'), false);
    assert.equal(w.cluster.annotations('worker-1')[markKeys.ueOriginal], 'masked,inactive', 'the original stays on the Node for whoever finishes it');
  });
});
