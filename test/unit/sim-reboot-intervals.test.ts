// events.jsonl answers "were two nodes ever rebooting at once" from each node's reboot-start … up interval.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimEvent } from '../../sim/fleet/events.ts';
import { maxConcurrentReboots, rebootIntervals } from '../../sim/fleet/reboot-intervals.ts';

const at = (second: number) => new Date(Date.UTC(2026, 10, 26, 12, 0, second)).toISOString();
const event = (second: number, node: string, kind: SimEvent['kind']): SimEvent => ({ ts: at(second), node, kind, from: null, to: null });

describe('reboot intervals from events.jsonl', () => {
  it('finds each reboot from reboot-start to the next up, open while the node is still down', () => {
    const events = [event(1, 'a', 'reboot-start'), event(2, 'a', 'down'), event(5, 'a', 'up'), event(6, 'b', 'reboot-start'), event(7, 'b', 'down')];
    assert.deepEqual(rebootIntervals(events), [
      { node: 'a', start: Date.parse(at(1)), end: Date.parse(at(5)) },
      { node: 'b', start: Date.parse(at(6)), end: null },
    ]);
  });

  it('counts serial reboots as one at a time and overlapping ones as two', () => {
    const serial = [event(1, 'a', 'reboot-start'), event(5, 'a', 'up'), event(5, 'b', 'reboot-start'), event(9, 'b', 'up')];
    assert.equal(maxConcurrentReboots(serial), 1);
    const overlapping = [event(1, 'a', 'reboot-start'), event(3, 'b', 'reboot-start'), event(5, 'a', 'up'), event(9, 'b', 'up')];
    assert.equal(maxConcurrentReboots(overlapping), 2);
    assert.equal(maxConcurrentReboots([event(1, 'a', 'reboot-start'), event(2, 'b', 'reboot-start')]), 2, 'nodes that never return still count');
  });
});
