// Reads events.jsonl back and answers what tests of the update pipeline ask of it: when was each node
// rebooting, and were two nodes ever rebooting at the same time.
import { readFileSync } from 'node:fs';
import type { SimEvent } from './events.ts';

export interface RebootInterval {
  node: string;
  start: number;
  /** ms since epoch of the node's next `up`, or null while it is still down */
  end: number | null;
}

export function readEvents(path: string): SimEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SimEvent);
}

/** A node reboots from its `reboot-start` to its next `up`. */
export function rebootIntervals(events: readonly SimEvent[]): RebootInterval[] {
  const open = new Map<string, RebootInterval>();
  const intervals: RebootInterval[] = [];
  for (const event of events) {
    if (event.kind === 'reboot-start' && !open.has(event.node)) {
      const interval: RebootInterval = { node: event.node, start: Date.parse(event.ts), end: null };
      open.set(event.node, interval);
      intervals.push(interval);
    } else if (event.kind === 'up') {
      const interval = open.get(event.node);
      if (interval) interval.end = Date.parse(event.ts);
      open.delete(event.node);
    }
  }
  return intervals;
}

/** The largest number of nodes rebooting at one instant. */
export function maxConcurrentReboots(events: readonly SimEvent[]): number {
  const edges = rebootIntervals(events).flatMap((i) => [
    { at: i.start, delta: 1 },
    { at: i.end ?? Infinity, delta: -1 },
  ]);
  // Ends sort before starts at the same instant: a node that is back does not overlap the next one.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let max = 0;
  for (const edge of edges) {
    current += edge.delta;
    max = Math.max(max, current);
  }
  return max;
}
