// What the live watch does when a node cannot be reached: a node lost after it was followed (a reboot) is shown
// unreachable once and followed again with growing pauses, for a while; a node not reached at the start, or a
// failure only the operator can fix (a declined host key), is not retried, so an unreachable fleet does not hold
// the SSH pool and the operator is not asked again and again. (The whole watch runs against the simulator in
// test/integration/live-watch-sim.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, type ErrorKind } from '../../app/api/errors.ts';
import type { NodeLiveState } from '../../app/api/nodes.ts';
import type { FlatcarNode } from '../../app/flatcar/node.ts';
import { defaultFollowTiming, followNode } from '../../app/service/node-follower.ts';
import { reachableNode } from './fake-flatcar-node.ts';
import { virtualClock } from '../support/virtual-clock.ts';

const failing = (kind: ErrorKind) => async (): Promise<FlatcarNode> => {
  throw new ApiError(kind, `worker-1: ${kind}`, { node: 'worker-1' });
};

const lostStates = (emitted: NodeLiveState[]) => emitted.filter((s) => s.updateEngine === null);

describe('following one node', () => {
  it('shows a followed node lost once, tries it again with growing pauses, and reads it afresh when it is back', async () => {
    const clock = virtualClock();
    const emitted: NodeLiveState[] = [];
    let drop = () => {};
    const dropped = new Promise<void>((r) => (drop = r));
    const attempts = [async () => reachableNode(dropped), failing('ssh-unreachable'), failing('ssh-unreachable'), async () => reachableNode()];
    let n = 0;
    const stop = new AbortController();
    await followNode('worker-1', {
      connect: () => attempts[n++]!(),
      emit: (s) => {
        emitted.push(s);
        if (s.updateEngine && n === 1) drop(); // the node reboots
        if (s.updateEngine && n === 4) stop.abort();
      },
      clock,
      timing: defaultFollowTiming,
    }, stop.signal);

    assert.equal(n, 4);
    assert.deepEqual(emitted.map((s) => s.updateEngine?.currentOp ?? 'lost'), ['UPDATE_STATUS_IDLE', 'lost', 'UPDATE_STATUS_IDLE']);
    assert.equal(lostStates(emitted)[0]?.error, 'worker-1: the connection closed (following it again)');
    assert.equal(lostStates(emitted)[0]?.versionId, '4459.2.1', 'what is known of the node stays');
    assert.equal(emitted.at(-1)?.error, null);
    // jittered backoff from 1 s, doubling: each pause within [½, 1] of 1, 2 and 4 s
    const pauses = clock.sleeps.filter((ms) => ms < defaultFollowTiming.reconcileMs);
    assert.equal(pauses.length, 3);
    pauses.forEach((ms, i) => assert.ok(ms >= 500 * 2 ** i && ms <= 1000 * 2 ** i, `pause ${i + 1}: ${ms} ms`));
  });

  it('gives a lost node up after giveUpAfterMs', async () => {
    const clock = virtualClock();
    const emitted: NodeLiveState[] = [];
    let drop = () => {};
    const dropped = new Promise<void>((r) => (drop = r));
    let n = 0;
    await followNode('worker-1', {
      connect: () => (n++ === 0 ? Promise.resolve(reachableNode(dropped)) : failing('ssh-unreachable')()),
      emit: (s) => {
        emitted.push(s);
        if (s.updateEngine) drop();
      },
      clock,
      timing: defaultFollowTiming,
    }, new AbortController().signal);

    const lost = lostStates(emitted);
    assert.equal(lost.length, 2, 'once when lost, once when given up');
    assert.match(lost[1]?.error ?? '', /ssh-unreachable \(flatdeck stopped following this node's update_engine; Refresh tries again\)$/);
    const waited = Date.parse(lost[1]!.at) - Date.parse(lost[0]!.at);
    assert.ok(waited >= defaultFollowTiming.giveUpAfterMs && waited < defaultFollowTiming.giveUpAfterMs + 15_000, `given up after ${waited} ms`);
  });

  for (const kind of ['ssh-unreachable', 'host-key-unknown-rejected'] as const) {
    it(`does not retry a node it never reached (${kind}), and says so once`, async () => {
      const emitted: NodeLiveState[] = [];
      let attempts = 0;
      await followNode('worker-1', {
        connect: () => {
          attempts++;
          return failing(kind)();
        },
        emit: (s) => emitted.push(s),
        clock: virtualClock(),
        timing: defaultFollowTiming,
      }, new AbortController().signal);

      assert.equal(attempts, 1);
      assert.equal(emitted.length, 1);
      assert.equal(emitted[0]?.updateEngine, null);
      assert.equal(emitted[0]?.error, `worker-1: ${kind} (flatdeck stopped following this node's update_engine; Refresh tries again)`);
    });
  }
});
