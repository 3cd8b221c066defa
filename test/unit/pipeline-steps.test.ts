import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StepEvent } from '../../app/api/pipeline.ts';
import { fluoKeys, markKeys } from '../../app/cluster/node-annotations.ts';
import { Run } from '../../app/pipeline/rollout.ts';
import { FAKE_PAYLOAD_BYTES, FakeCluster, FakeFlatcar, fakeDeps, testOptions, virtualClock, type FakeNodeScript } from './pipeline-fakes.ts';

function world(scripts: Record<string, Partial<FakeNodeScript>>) {
  const clock = virtualClock();
  const cluster = new FakeCluster(clock);
  const nodes = new Map<string, FakeFlatcar>();
  for (const [name, s] of Object.entries(scripts)) {
    cluster.addNode(name, '4230.2.4', `${name}-boot-0`);
    cluster.addPod(name, `${name}-web`, 'ReplicaSet', { app: 'web' });
    cluster.addPod(name, `${name}-agent`, 'DaemonSet');
    nodes.set(name, new FakeFlatcar(name, { version: '4230.2.4', offered: '4459.2.1', ue: { file: 'masked', active: false }, ...s }, cluster, clock));
  }
  return { clock, cluster, nodes, ...fakeDeps(cluster, nodes, clock) };
}

const steps = (events: ReturnType<typeof world>['events'], node: string, status: StepEvent['status']) =>
  events.flatMap((e) => (e.topic === 'step' && e.payload.node === node && e.payload.status === status ? [e.payload.step] : []));

describe('one node through the pipeline', () => {
  it('runs the steps in order and ends updated, uncordoned, with update-engine masked again and FLUO restored', async () => {
    const w = world({ 'worker-1': {} });
    w.cluster.nodesByName.get('worker-1')!.metadata!.annotations![fluoKeys.rebootPaused] = 'false';
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
    assert.equal(state.status, 'succeeded', JSON.stringify(state.error));
    assert.deepEqual(steps(w.events, 'worker-1', 'succeeded'), ['preflight', 'update', 'lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon', 'settle', 'release']);
    assert.equal(state.nodes[0]?.phase, 'done');
    assert.equal(w.cluster.unschedulable('worker-1'), false);
    assert.equal(w.cluster.cordonPatches('worker-1'), 1);
    assert.deepEqual(w.cluster.evictions, ['shop/worker-1-web'], 'the DaemonSet pod is not evicted');
    const fc = w.nodes.get('worker-1')!;
    assert.deepEqual(fc.log.filter((l) => l.startsWith('systemctl')), ['systemctl unmask update-engine.service', 'systemctl start update-engine.service', 'systemctl reboot', 'systemctl stop update-engine.service', 'systemctl mask update-engine.service']);
    const ann = w.cluster.annotations('worker-1');
    assert.equal(ann[fluoKeys.rebootPaused], 'false', 'FLUO reboot-paused put back as it was');
    assert.deepEqual(Object.keys(ann).filter((k) => k.startsWith('flatdeck.io/')), [], 'no marks left');
    assert.equal(JSON.parse(w.cluster.lease ?? '{}').spec.holderIdentity, '', 'lock released');
    const durations = w.events.flatMap((e) => (e.topic === 'step' && e.payload.status === 'succeeded' ? [e.payload.durationMs] : []));
    assert.ok(durations.every((d) => typeof d === 'number' && d >= 0));
  });

  it('reports each update_engine reading with PROGRESS, NEW_VERSION and NEW_SIZE for the download bar', async () => {
    const w = world({ 'worker-1': {} });
    await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
    const downloading = w.events.flatMap((e) =>
      e.topic === 'step' && e.payload.step === 'update' && e.payload.status === 'progress' && e.payload.detail.op === 'UPDATE_STATUS_DOWNLOADING' ? [e.payload.detail] : [],
    );
    assert.ok(downloading.length > 0, 'the download was reported');
    for (const d of downloading) {
      assert.equal(d.newVersion, '4459.2.1');
      assert.equal(d.newSize, FAKE_PAYLOAD_BYTES);
      assert.equal(typeof d.progress, 'number');
    }
  });

  it('cordons nothing and changes nothing when pre-flight finds a blocker', async () => {
    const w = world({ 'worker-1': {} });
    const budget = (name: string) => ({ metadata: { name, namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'web' } } }, status: { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } });
    w.cluster.pdbs = [budget('web'), budget('web-extra')];
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
    assert.equal(state.status, 'failed');
    assert.match(state.error?.message ?? '', /shop\/worker-1-web is matched by 2 PodDisruptionBudgets/);
    assert.equal(state.error?.facts.pdb, 'shop/web,shop/web-extra');
    assert.deepEqual(steps(w.events, 'worker-1', 'started'), ['preflight']);
    assert.equal(w.cluster.patches.length, 0, 'not a single patch to the node');
    assert.equal(w.nodes.get('worker-1')!.log.some((l) => l.startsWith('systemctl')), false, 'update-engine untouched');
  });

  it('in a rollout, one node\'s blocker stops everything before any node changes', async () => {
    const w = world({ a: {}, b: { sudoFails: true }, c: {} });
    const state = await new Run(w.deps, { kind: 'rollout', nodes: ['a', 'b', 'c'], options: { ...testOptions(), maxParallelDownloads: 3, stopOnFailure: true } }).done;
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.kind, 'sudo-password-required');
    assert.equal(w.cluster.patches.length, 0);
    for (const n of w.nodes.values()) assert.equal(n.log.filter((l) => l.startsWith('systemctl')).length, 0);
  });

  it('reports a node with no newer version as current and restores update-engine without rebooting', async () => {
    const w = world({ 'worker-1': { offered: null } });
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
    assert.equal(state.status, 'succeeded');
    assert.equal(state.nodes[0]?.phase, 'current');
    assert.equal(w.nodes.get('worker-1')!.rebooted, 0);
    assert.equal(w.cluster.cordonPatches('worker-1'), 0);
    assert.deepEqual(steps(w.events, 'worker-1', 'succeeded'), ['preflight', 'update']);
  });

  it('fails an update that ends in REPORTING_ERROR_EVENT with the journalctl hint, nothing cordoned', async () => {
    const w = world({ 'worker-1': { updateFails: true } });
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
    assert.equal(state.error?.kind, 'update-failed');
    assert.match(state.error?.message ?? '', /journalctl -u update-engine/);
    assert.equal(w.cluster.cordonPatches('worker-1'), 0);
    assert.equal(w.nodes.get('worker-1')!.log.at(-1), 'systemctl mask update-engine.service');
  });

  it('keeps a node cordoned and marked when the drain times out (policy stop), and never reboots it', async () => {
    const w = world({ 'worker-1': {} });
    w.cluster.evictAnswer = () => 429;
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions({ drainTimeoutSeconds: 60 }) }).done;
    assert.equal(state.error?.kind, 'drain-timeout');
    assert.match(state.error?.message ?? '', /shop\/worker-1-web/);
    assert.equal(state.nodes[0]?.phase, 'needs-attention');
    assert.equal(w.cluster.unschedulable('worker-1'), true);
    assert.match(w.cluster.annotations('worker-1')[markKeys.attention] ?? '', /did not finish within 60 s/);
    assert.equal(w.nodes.get('worker-1')!.rebooted, 0);
  });

  it('uncordons on drain timeout with policy skip, and neither hides the staged update nor calls it a success', async () => {
    const w = world({ 'worker-1': {} });
    w.cluster.evictAnswer = () => 429;
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions({ drainTimeoutSeconds: 30, onDrainTimeout: 'skip' }) }).done;
    assert.equal(state.status, 'failed', 'a skipped node is not an updated one');
    assert.equal(state.nodes[0]?.phase, 'needs-attention');
    assert.match(state.nodes[0]?.attention[0] ?? '', /boots 4459\.2\.1 at its next reboot/);
    assert.equal(w.cluster.unschedulable('worker-1'), false);
    assert.equal(w.nodes.get('worker-1')!.rebooted, 0);
    assert.equal(w.nodes.get('worker-1')!.log.includes('systemctl mask update-engine.service'), false, 'update-engine stays able to mark the new boot good');
    assert.match(w.cluster.annotations('worker-1')[markKeys.attention] ?? '', /boots 4459\.2\.1 at its next reboot/);
    assert.equal(w.cluster.annotations('worker-1')[markKeys.toVersion], '4459.2.1');
  });

  it('deletes the stuck pods only with policy force, then reboots', async () => {
    const w = world({ 'worker-1': {} });
    w.cluster.evictAnswer = () => 429;
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions({ drainTimeoutSeconds: 30, onDrainTimeout: 'force' }) }).done;
    assert.equal(state.status, 'succeeded');
    assert.equal(w.nodes.get('worker-1')!.rebooted, 1);
  });

  it('detects a rollback to the old version: failed, kept cordoned, needs attention', async () => {
    const w = world({ 'worker-1': { rollback: true } });
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
    assert.equal(state.error?.kind, 'rollback-detected');
    assert.equal(state.nodes[0]?.phase, 'needs-attention');
    assert.equal(w.cluster.unschedulable('worker-1'), true);
  });

  it('never uncordons a node someone else cordoned', async () => {
    const w = world({ 'worker-1': {} });
    w.cluster.nodesByName.get('worker-1')!.spec!.unschedulable = true;
    const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
    assert.equal(state.status, 'succeeded');
    assert.equal(w.cluster.unschedulable('worker-1'), true);
    assert.equal(w.nodes.get('worker-1')!.rebooted, 1);
  });

  it('waits while FLUO reboots another node, then goes on', async () => {
    const w = world({ a: {}, other: { offered: null } });
    const other = w.cluster.nodesByName.get('other')!;
    other.metadata!.annotations![fluoKeys.rebootInProgress] = 'true';
    const start = w.clock.t;
    let sawWaiting = '';
    w.deps.emit = (e) => {
      w.events.push(e);
      if (e.topic === 'rollout' && e.payload.waitingFor) {
        sawWaiting = e.payload.waitingFor;
        other.metadata!.annotations![fluoKeys.rebootInProgress] = 'false'; // FLUO's agent finishes its reboot
      }
    };
    const run = new Run(w.deps, { kind: 'single', nodes: ['a'], options: testOptions() });
    const state = await run.done;
    assert.equal(state.status, 'succeeded');
    assert.match(sawWaiting, /FLUO is rebooting node other \(reboot-in-progress\)/);
    assert.ok(w.clock.t > start);
  });

  it('cancel between steps leaves nothing cordoned by us and never hides an update staged on any node', async () => {
    const w = world({ a: {}, b: {} });
    const run = new Run(w.deps, { kind: 'rollout', nodes: ['a', 'b'], options: { ...testOptions(), maxParallelDownloads: 2 } });
    w.deps.emit = (e) => {
      w.events.push(e);
      if (e.topic === 'step' && e.payload.node === 'a' && e.payload.step === 'cordon' && e.payload.status === 'succeeded') run.control.cancel();
    };
    const state = await run.done;
    assert.equal(state.status, 'cancelled');
    assert.ok(w.events.some((e) => e.topic === 'rollout' && e.payload.status === 'cancelling'), 'the cancel shows at once');
    assert.equal(w.cluster.unschedulable('a'), false);
    assert.equal(w.cluster.unschedulable('b'), false);
    assert.equal(w.nodes.get('a')!.rebooted + w.nodes.get('b')!.rebooted, 0);
    // a had its update staged; b's update_engine finished its download after the cancel: both stay running, visible
    for (const n of ['a', 'b']) {
      assert.equal(state.nodes.find((s) => s.node === n)?.phase, 'needs-attention');
      assert.match(w.cluster.annotations(n)[markKeys.attention] ?? '', /boots 4459\.2\.1 at its next reboot/);
      assert.equal(w.cluster.annotations(n)[markKeys.toVersion], '4459.2.1');
      assert.equal(w.nodes.get(n)!.log.includes('systemctl mask update-engine.service'), false, `${n}: update-engine not masked over a staged update`);
    }
  });
});
