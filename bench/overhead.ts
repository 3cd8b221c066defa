// Where a rollout's time beyond the cluster's own floor goes: per node, the gap between what the simulated cluster
// did (events.jsonl, the API server watch of bench/cluster-times.ts) and flatdeck's next action (its step events
// and the SSH commands it ran). Printed by bench/rollout.ts; asserts nothing.
import type { PipelineEvent } from '../app/pipeline/ports.ts';
import type { SimEvent } from '../sim/fleet/events.ts';
import type { ClusterTimes } from './cluster-times.ts';

/** One node's turn, all instants in ms; null when the run never got there. */
export interface NodeTurn {
  node: string;
  lockStarted: number | null;
  lockHeld: number | null;
  firstPodTerminating: number | null;
  lastPodGone: number | null;
  drainDone: number | null;
  rebootStart: number | null;
  up: number | null;
  ready: number | null;
  verifyDone: number | null;
  uncordonDone: number | null;
  released: number | null;
  /** When the turn that released this node took its next node (lock step started), if it took one. */
  nextTurn: number | null;
}

/** A gap on a node's path: from an instant the cluster or flatdeck set to flatdeck's next action. */
interface Phase {
  label: string;
  from: (t: NodeTurn) => number | null;
  to: (t: NodeTurn) => number | null;
}

const later = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

const PHASES: readonly Phase[] = [
  { label: 'turn start → lock held', from: (t) => t.lockStarted, to: (t) => t.lockHeld },
  { label: 'lock held → first pod terminating', from: (t) => t.lockHeld, to: (t) => t.firstPodTerminating },
  { label: 'last pod gone → drain done', from: (t) => t.lastPodGone, to: (t) => t.drainDone },
  { label: 'drain done → reboot-start', from: (t) => t.drainDone, to: (t) => t.rebootStart },
  { label: 'up and Ready → verify done', from: (t) => later(t.up, t.ready), to: (t) => t.verifyDone },
  { label: 'verify done → uncordoned', from: (t) => t.verifyDone, to: (t) => t.uncordonDone },
  { label: 'uncordoned → lock released', from: (t) => t.uncordonDone, to: (t) => t.released },
  { label: 'lock released → next turn', from: (t) => t.released, to: (t) => t.nextTurn },
];

const at = (iso: string) => Date.parse(iso);

/** Every node's turn in run `runId`, from the cluster's times and flatdeck's step events, within [fromMs, toMs]. */
export function nodeTurns(simEvents: readonly SimEvent[], times: ClusterTimes, pipeline: readonly PipelineEvent[], runId: string, fromMs: number, toMs: number): NodeTurn[] {
  const steps = pipeline.flatMap((e) => (e.topic === 'step' && e.payload.runId === runId ? [e.payload] : []));
  const stepAt = (node: string, step: string, status: 'started' | 'succeeded') => {
    const e = steps.find((s) => s.node === node && s.step === step && s.status === status);
    return e ? at(e.at) : null;
  };
  const inRun = simEvents.filter((e) => at(e.ts) >= fromMs && at(e.ts) <= toMs);
  const turns = [...new Set(steps.filter((s) => s.step === 'lock').map((s) => s.node))].map((node): NodeTurn => {
    const rebootStart = inRun.find((e) => e.node === node && e.kind === 'reboot-start');
    const start = rebootStart ? at(rebootStart.ts) : null;
    const up = start === null ? undefined : inRun.find((e) => e.node === node && e.kind === 'up' && at(e.ts) >= start);
    const upAt = up ? at(up.ts) : null;
    const pods = [...times.pods.values()].filter((p) => p.node === node && p.deletingAt !== null && p.goneAt !== null && p.deletingAt >= fromMs && (start === null || (p.goneAt as number) <= start));
    return {
      node,
      lockStarted: stepAt(node, 'lock', 'started'),
      lockHeld: stepAt(node, 'lock', 'succeeded'),
      firstPodTerminating: pods.length ? Math.min(...pods.map((p) => p.deletingAt as number)) : null,
      lastPodGone: pods.length ? Math.max(...pods.map((p) => p.goneAt as number)) : null,
      drainDone: stepAt(node, 'drain', 'succeeded'),
      rebootStart: start,
      up: upAt,
      ready: upAt === null ? null : ((times.ready.get(node) ?? []).find((t) => t >= upAt) ?? null),
      verifyDone: stepAt(node, 'verify', 'succeeded'),
      uncordonDone: stepAt(node, 'uncordon', 'succeeded'),
      released: stepAt(node, 'release', 'succeeded'),
      nextTurn: null,
    };
  });
  // K turns take nodes one after the other: each released node is followed, in its turn, by the earliest
  // lock start after its release that no earlier release claimed
  const starts = turns.map((t) => t.lockStarted).filter((s): s is number => s !== null).sort((a, b) => a - b);
  for (const t of [...turns].filter((x) => x.released !== null).sort((a, b) => (a.released as number) - (b.released as number))) {
    const i = starts.findIndex((s) => s >= (t.released as number));
    if (i >= 0) t.nextTurn = starts.splice(i, 1)[0] ?? null;
  }
  return turns;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The table "where the overhead goes": mean, max and sum of each gap over the nodes that had it. */
export function overheadTable(turns: readonly NodeTurn[], once: { label: string; ms: number }[]): string[] {
  const rows = PHASES.map((p) => {
    const gaps = turns.flatMap((t) => {
      const a = p.from(t);
      const b = p.to(t);
      return a === null || b === null ? [] : [b - a];
    });
    const sum = gaps.reduce((x, y) => x + y, 0);
    return { label: p.label, n: gaps.length, mean: gaps.length ? sum / gaps.length : 0, max: gaps.length ? Math.max(...gaps) : 0, sum };
  });
  const width = Math.max(...PHASES.map((p) => p.label.length), ...once.map((o) => o.label.length));
  return [
    `  where the overhead goes (per node: the cluster's event → flatdeck's next action)`,
    `    ${'gap'.padEnd(width)}  nodes      mean       max         Σ`,
    ...rows.map((r) => `    ${r.label.padEnd(width)}  ${String(r.n).padStart(5)}  ${s(r.mean).padStart(8)}  ${s(r.max).padStart(8)}  ${s(r.sum).padStart(8)}`),
    ...once.map((o) => `    ${o.label.padEnd(width)}   once  ${''.padStart(8)}  ${''.padStart(8)}  ${s(o.ms).padStart(8)}`),
  ];
}
