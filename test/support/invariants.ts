// The safety promise of the update pipeline, checked after the fact from what the fleet did (the simulator's
// events.jsonl) and what the Nodes showed (a recorded timeline and their final state):
//   1. never more than K nodes out of service at once (cordoned by a run or by FLUO's agent, rebooting, or down
//      after a reboot), and never two of one failure domain;
//   2. no node flips back to a version it already left (the sign of a staged update booted without being
//      marked good, or of a rollback after an unplanned reboot) unless an operator's cgpt chose it (a manual
//      rollback, events.jsonl `boot-order`);
//   3. no node is left cordoned without a record saying why (needs-attention, or a run mark to resume).
import type { SimEvent } from '../../sim/fleet/events.ts';

export const ATTENTION_KEY = 'flatdeck.io/needs-attention';
export const RUN_MARK_KEY = 'flatdeck.io/instance';
/** FLUO's agent cordoned the node for its own reboot (flatcar-linux-update-operator pkg/constants). */
export const FLUO_CORDON_KEY = 'flatcar-linux-update.v1.flatcar-linux.net/agent-made-unschedulable';

/** One observed state of one Node (the timeline keeps only changes). */
export interface NodeSample {
  atMs: number;
  node: string;
  /** null once the Node was deleted. */
  unschedulable: boolean | null;
  annotations: Readonly<Record<string, string>>;
}

export interface InvariantInput {
  events: readonly SimEvent[];
  /** Node states in the order they were observed, the first sample of each node being its state at the start. */
  timeline: readonly NodeSample[];
  /** When the check runs: open intervals (a node still down, still cordoned) last until here. */
  endMs: number;
  /** K, the most nodes allowed out of service at one instant. Default 1. */
  maxUnavailable?: number;
  /**
   * node → failure domain (e.g. its zone): no two nodes of one domain may be out of service at once. Nodes
   * without a domain are a domain of their own.
   */
  failureDomains?: Readonly<Record<string, string>>;
  /** Only violations that begin at or after this instant are reported (one check per case on a shared fleet). */
  sinceMs?: number;
}

export type Violation =
  | { rule: 'out-of-service'; atMs: number; nodes: string[]; detail: string }
  | { rule: 'flip-flop'; atMs: number; nodes: [string]; detail: string }
  | { rule: 'cordoned-without-record'; atMs: number; nodes: [string]; detail: string };

interface Interval {
  node: string;
  why: string;
  start: number;
  end: number;
}

const byTime = (e: SimEvent) => Date.parse(e.ts);

/** A node is out from its `reboot-start` to its next `up`; one that never came back stays out until the end. */
function rebootIntervals(events: readonly SimEvent[], endMs: number): Interval[] {
  const open = new Map<string, Interval>();
  const out: Interval[] = [];
  for (const e of events) {
    if (e.kind === 'reboot-start' && !open.has(e.node)) {
      const i = { node: e.node, why: 'rebooting', start: byTime(e), end: endMs };
      open.set(e.node, i);
      out.push(i);
    } else if (e.kind === 'down') {
      const i = open.get(e.node);
      if (i) i.why = 'down';
    } else if (e.kind === 'up') {
      const i = open.get(e.node);
      if (i) i.end = byTime(e);
      open.delete(e.node);
    }
  }
  for (const i of open.values()) i.why = 'down and not back';
  return out;
}

const cordonedByFluo = (s: NodeSample) => s.annotations[FLUO_CORDON_KEY] === 'true';
const cordonedByRun = (s: NodeSample) => s.unschedulable === true && (RUN_MARK_KEY in s.annotations || ATTENTION_KEY in s.annotations || cordonedByFluo(s));

/** Intervals in which a Node was cordoned while carrying a flatdeck run mark, a needs-attention record or FLUO's cordon. */
function cordonIntervals(timeline: readonly NodeSample[], endMs: number): Interval[] {
  const open = new Map<string, Interval>();
  const out: Interval[] = [];
  for (const s of timeline) {
    const current = open.get(s.node);
    if (cordonedByRun(s) && !current) {
      const why = ATTENTION_KEY in s.annotations ? 'cordoned, needs attention' : cordonedByFluo(s) && !(RUN_MARK_KEY in s.annotations) ? "cordoned by FLUO's agent" : 'cordoned by a run';
      const i = { node: s.node, why, start: s.atMs, end: endMs };
      open.set(s.node, i);
      out.push(i);
    } else if (!cordonedByRun(s) && current) {
      current.end = s.atMs;
      open.delete(s.node);
    }
  }
  return out;
}

function outOfService(input: InvariantInput): Violation[] {
  const k = input.maxUnavailable ?? 1;
  /** a failure domain with two nodes out of service in `active`, if any */
  const crowded = (active: ReadonlySet<Interval>): string | null => {
    const seen = new Map<string, string>();
    for (const { node } of active) {
      const d = input.failureDomains?.[node];
      if (d === undefined) continue;
      const other = seen.get(d);
      if (other !== undefined && other !== node) return `${other} and ${node} are both in failure domain ${d}`;
      seen.set(d, node);
    }
    return null;
  };
  const intervals = [...rebootIntervals(input.events, input.endMs), ...cordonIntervals(input.timeline, input.endMs)];
  const edges = intervals.flatMap((i) => [
    { at: i.start, open: true, i },
    { at: i.end, open: false, i },
  ]);
  // Ends sort before starts at the same instant: a node that is back does not overlap the next one.
  edges.sort((a, b) => a.at - b.at || Number(a.open) - Number(b.open));
  const active = new Set<Interval>();
  const violations: Violation[] = [];
  let reported = false;
  for (const edge of edges) {
    if (!edge.open) {
      active.delete(edge.i);
      continue;
    }
    active.add(edge.i);
    const out = new Set([...active].map((i) => i.node));
    const sameDomain = crowded(active);
    if (out.size <= k && sameDomain === null) {
      reported = false;
      continue;
    }
    if (reported || edge.at < (input.sinceMs ?? -Infinity)) continue;
    reported = true;
    const nodes = [...new Set([...active].map((i) => i.node))].sort();
    const what = [...active].map((i) => `${i.node} ${i.why} since ${new Date(i.start).toISOString()}`).join('; ');
    const why = out.size > k ? `${out.size} out of service at once (K=${k})` : `${sameDomain} (K=${k})`;
    violations.push({ rule: 'out-of-service', atMs: edge.at, nodes, detail: `${why}: ${what}` });
  }
  return violations;
}

/** Versions booted in order (the version before the first reboot, then each `up`); returning to a version already left is a flip-flop. */
function flipFlops(input: InvariantInput): Violation[] {
  const booted = new Map<string, string[]>();
  /** the release an operator's `cgpt prioritize` made boot next (a manual rollback): going back to it is intended */
  const chosen = new Map<string, unknown>();
  const violations: Violation[] = [];
  for (const e of input.events) {
    if (e.kind === 'boot-order') chosen.set(e.node, e.to);
    if (e.kind === 'reboot-start' && !booted.has(e.node) && typeof e.version === 'string') booted.set(e.node, [e.version]);
    if (e.kind !== 'up' || typeof e.version !== 'string') continue;
    if (chosen.get(e.node) === e.version) {
      chosen.delete(e.node);
      booted.set(e.node, [e.version]);
      continue;
    }
    chosen.delete(e.node);
    const seq = booted.get(e.node) ?? [];
    booted.set(e.node, seq);
    const last = seq.at(-1);
    if (last !== undefined && last !== e.version && seq.includes(e.version) && byTime(e) >= (input.sinceMs ?? -Infinity)) {
      violations.push({ rule: 'flip-flop', atMs: byTime(e), nodes: [e.node], detail: `${e.node} booted ${[...seq, e.version].join(' → ')}: back on a version it had left` });
    }
    seq.push(e.version);
  }
  return violations;
}

/** Final state: a node cordoned during the recording must carry needs-attention or a run mark to resume. */
function cordonedWithoutRecord(input: InvariantInput): Violation[] {
  const first = new Map<string, NodeSample>();
  const last = new Map<string, NodeSample>();
  for (const s of input.timeline) {
    if (!first.has(s.node)) first.set(s.node, s);
    last.set(s.node, s);
  }
  const violations: Violation[] = [];
  for (const [node, s] of last) {
    if (s.unschedulable !== true || ATTENTION_KEY in s.annotations || RUN_MARK_KEY in s.annotations) continue;
    const operatorsCordon = first.get(node)?.unschedulable === true && input.timeline.every((t) => t.node !== node || t.unschedulable === true);
    if (operatorsCordon) continue;
    violations.push({ rule: 'cordoned-without-record', atMs: s.atMs, nodes: [node], detail: `${node} is cordoned (since ${new Date(s.atMs).toISOString()}) with neither ${ATTENTION_KEY} nor a run mark` });
  }
  return violations;
}

export function findViolations(input: InvariantInput): Violation[] {
  return [...outOfService(input), ...flipFlops(input), ...cordonedWithoutRecord(input)].sort((a, b) => a.atMs - b.atMs);
}

export function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.rule} at ${new Date(v.atMs).toISOString()}: ${v.detail}`).join('\n');
}
