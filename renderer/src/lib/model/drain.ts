import type { Stage } from './progression.ts';


/** "n of m pods" from the drain step's facts, when the pipeline reported them. */
export function drainCounts(detail: Stage['detail']): { done: number; total: number } | null {
  const { podsDone: done, podsTotal: total } = detail;
  return typeof done === 'number' && typeof total === 'number' ? { done, total } : null;
}

/** The blocking PDB or pod the drain step named, if any. */
export function drainBlocker(detail: Stage['detail']): string | null {
  return typeof detail.blocker === 'string' && detail.blocker ? detail.blocker : null;
}
