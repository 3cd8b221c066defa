import type { ApiErrorInfo, AttentionNote, RolloutNodeState, RolloutState } from '../../../../app/api/index.ts';

export type Outcome = 'updated' | 'current' | 'skipped' | 'failed' | 'attention' | 'open';

/** What a node's phase means for the run's result. */
export function outcomeOf(phase: RolloutNodeState['phase']): Outcome {
  if (phase === 'done') return 'updated';
  if (phase === 'current') return 'current';
  if (phase === 'skipped') return 'skipped';
  if (phase === 'failed') return 'failed';
  if (phase === 'needs-attention') return 'attention';
  return 'open';
}

export type Counts = Record<Outcome, number>;

/** Honest counts: a skipped or failed node is never counted as done. */
export function runCounts(run: RolloutState): Counts {
  const counts: Counts = { updated: 0, current: 0, skipped: 0, failed: 0, attention: 0, open: 0 };
  for (const n of run.nodes) counts[outcomeOf(n.phase)]++;
  return counts;
}

/**
 * What a cancel does to a node, by where it stands (app/pipeline `cleanUpAfter`): nodes not started stay as
 * they are, a staged update stays staged (the node boots it at its next reboot), a node being drained is
 * uncordoned and put back, and a node that is rebooting stays cordoned until `resume` sees it back.
 */
export type CancelEffect = 'unchanged-done' | 'unchanged' | 'not-started' | 'download-stops' | 'keeps-staged' | 'put-back' | 'stays-cordoned' | 'finishes';

export function cancelEffect(n: RolloutNodeState): CancelEffect {
  switch (n.phase) {
    case 'done':
    case 'current':
      return 'unchanged-done';
    case 'failed':
    case 'needs-attention':
    case 'skipped':
      return 'unchanged';
    case 'waiting':
      return 'not-started';
    case 'downloading':
      return 'download-stops';
    case 'ready-to-reboot':
      return 'keeps-staged';
    case 'active':
      if (n.step === 'reboot' || n.step === 'verify') return 'stays-cordoned';
      if (n.step === 'uncordon' || n.step === 'release' || n.step === 'health-gate' || n.step === 'settle') return 'finishes';
      return 'put-back';
  }
}

/** Why a node ended skipped, failed or needing attention: its error and what it left for the operator, worded by the caller. */
export function reasonOf(n: RolloutNodeState, words: { error(e: ApiErrorInfo): string; note(x: AttentionNote): string }): string | null {
  if (!['skipped', 'failed', 'attention'].includes(outcomeOf(n.phase))) return null;
  return [n.error ? words.error(n.error) : null, ...n.notes.map((x) => words.note(x))].filter(Boolean).join(' · ') || null;
}
