// A node's turn ends at its lock's release: putting update-engine back (which waits for the new boot to be
// marked good) runs while the next node's turn goes on, and the run ends only once every node is put back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Run } from '../../app/pipeline/rollout.ts';
import { FakeCluster, FakeFlatcar, fakeDeps, testOptions, virtualClock } from './pipeline-fakes.ts';

/** The virtual clock, except that the long waits before update-engine is restored (60 s) last until `open()`. */
function gatedClock() {
  const clock = virtualClock();
  const held: Array<() => void> = [];
  let opened = false;
  return {
    clock: { nowMs: () => clock.nowMs(), sleep: (ms: number, signal?: AbortSignal) => (ms > 30_000 && !opened ? new Promise<void>((r) => held.push(r)) : clock.sleep(ms, signal)) },
    open: () => {
      opened = true;
      held.splice(0).forEach((r) => r());
    },
  };
}

function world(names: string[]) {
  const gate = gatedClock();
  const cluster = new FakeCluster(gate.clock);
  const nodes = new Map<string, FakeFlatcar>();
  for (const name of names) {
    cluster.addNode(name, '4230.2.4', `${name}-boot-0`);
    cluster.addPod(name, `${name}-web`);
    nodes.set(name, new FakeFlatcar(name, { version: '4230.2.4', offered: '4459.2.1', ue: { file: 'masked', active: false } }, cluster, gate.clock));
  }
  return { gate, cluster, nodes, ...fakeDeps(cluster, nodes, gate.clock) };
}

const turns = (events: ReturnType<typeof world>['events']) =>
  events.flatMap((e) => {
    if (e.topic !== 'step') return [];
    const p = e.payload;
    if (p.step === 'lock' && p.status === 'started') return [`${p.node} lock`];
    if (p.step === 'release' && p.status === 'succeeded') return [`${p.node} released`];
    if (/update-engine on .* restored/.test(p.message)) return [`${p.node} update-engine restored`];
    return [];
  });

/** Whether `seen` comes true within a few thousand turns of the event loop (the virtual clock's sleeps each take one). */
async function comesTrue(seen: () => boolean): Promise<boolean> {
  for (let i = 0; i < 5000 && !seen(); i++) await new Promise((r) => setImmediate(r));
  return seen();
}

describe('one node after the other (K = 1)', () => {
  it('the next node takes the lock while the previous one waits to restore update-engine; the run ends once both are restored', async () => {
    const w = world(['worker-1', 'worker-2']);
    let ended = false;
    const done = new Run(w.deps, { kind: 'rollout', nodes: ['worker-1', 'worker-2'], options: { ...testOptions({ settleSeconds: 0, restoreAfterBootSeconds: 60 }), maxParallelDownloads: 2 } }).done.then((s) => ((ended = true), s));
    const overlapped = await comesTrue(() => turns(w.events).includes('worker-2 released'));
    const before = [...turns(w.events)];
    const endedBeforeRestores = ended;
    w.gate.open();
    const state = await done;
    assert.ok(overlapped, `worker-2 went through its turn while worker-1 still waited to restore update-engine (seen: ${before.join(', ')})`);
    assert.deepEqual(before, ['worker-1 lock', 'worker-1 released', 'worker-2 lock', 'worker-2 released']);
    assert.equal(endedBeforeRestores, false, 'the run waits for the restores');
    assert.equal(state.status, 'succeeded', JSON.stringify(state.error));
    assert.deepEqual(turns(w.events).slice(-2).sort(), ['worker-1 update-engine restored', 'worker-2 update-engine restored']);
    for (const [name, fc] of w.nodes) {
      assert.deepEqual(fc.log.filter((l) => l.startsWith('systemctl')).slice(-2), ['systemctl stop update-engine.service', 'systemctl mask update-engine.service'], `${name}: update-engine masked again`);
    }
    assert.deepEqual(state.nodes.map((n) => n.phase), ['done', 'done']);
  });
});
