// What the live watch does when a node cannot be reached: a passing failure (a reboot) is followed again with
// growing pauses and shown meanwhile; a failure only the operator can fix (a declined host key) is not retried,
// so they are not asked again and again. (The whole watch runs against the simulator in
// test/integration/live-watch-sim.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, type ErrorKind } from '../../app/api/errors.ts';
import type { NodeLiveState } from '../../app/api/nodes.ts';
import type { FlatcarNode, UeStatus } from '../../app/flatcar/node.ts';
import { defaultFollowTiming, followNode } from '../../app/service/node-follower.ts';
import { virtualClock } from '../support/virtual-clock.ts';

const IDLE: UeStatus = { op: 'UPDATE_STATUS_IDLE', progress: 0, newVersion: '0.0.0', newSize: 0, lastCheckedTime: 0 };

/** A reachable node whose update-engine runs; its stream stays open until stopped. */
function reachableNode(): FlatcarNode {
  const node: Partial<FlatcarNode> = {
    name: 'worker-1',
    versionId: async () => '4459.2.1',
    unitState: async () => ({ file: 'enabled', active: true }),
    updateConf: async () => '',
    status: async () => IDLE,
    watch: (_on, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
  };
  return node as FlatcarNode;
}

const failing = (kind: ErrorKind) => async (): Promise<FlatcarNode> => {
  throw new ApiError(kind, `worker-1: ${kind}`, { node: 'worker-1' });
};

describe('following one node', () => {
  it('tries an unreachable node again with growing pauses, showing it unreachable meanwhile', async () => {
    const clock = virtualClock();
    const emitted: NodeLiveState[] = [];
    const attempts = [failing('ssh-unreachable'), failing('ssh-unreachable'), failing('ssh-disconnected'), async () => reachableNode()];
    let n = 0;
    const stop = new AbortController();
    await followNode('worker-1', {
      connect: () => attempts[n++]!(),
      emit: (s) => {
        emitted.push(s);
        if (s.updateEngine) stop.abort();
      },
      clock,
      timing: defaultFollowTiming,
    }, stop.signal);

    assert.equal(n, 4);
    const lost = emitted.filter((s) => s.updateEngine === null);
    assert.equal(lost.length, 3);
    for (const s of lost) assert.match(s.error ?? '', /^worker-1: ssh-(unreachable|disconnected) \(following it again in \d+ s\)$/);
    assert.deepEqual(emitted.at(-1)?.updateEngine?.currentOp, 'UPDATE_STATUS_IDLE');
    assert.equal(emitted.at(-1)?.error, null);
    // jittered backoff from 1 s, doubling: each pause within [½, 1] of 1, 2 and 4 s
    assert.equal(clock.sleeps.length >= 3, true);
    clock.sleeps.slice(0, 3).forEach((ms, i) => assert.ok(ms >= 500 * 2 ** i && ms <= 1000 * 2 ** i, `pause ${i + 1}: ${ms} ms`));
  });

  it('stops at a failure only the operator can fix, and says so once', async () => {
    const clock = virtualClock();
    const emitted: NodeLiveState[] = [];
    let attempts = 0;
    await followNode('worker-1', {
      connect: () => {
        attempts++;
        return failing('host-key-unknown-rejected')();
      },
      emit: (s) => emitted.push(s),
      clock,
      timing: defaultFollowTiming,
    }, new AbortController().signal);

    assert.equal(attempts, 1);
    assert.equal(emitted.length, 1);
    assert.equal(emitted[0]?.updateEngine, null);
    assert.match(emitted[0]?.error ?? '', /host-key-unknown-rejected \(flatdeck stopped following this node's update_engine; Refresh tries again\)$/);
  });
});
