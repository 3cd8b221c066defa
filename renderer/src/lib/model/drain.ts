import type { Stage } from './progression.ts';

const doneKeys = ['evicted', 'podsEvicted', 'podsDone', 'done', 'deleted'];
const totalKeys = ['total', 'podsTotal', 'pods', 'toEvict'];

function firstNumber(detail: Stage['detail'], keys: readonly string[]): number | null {
  for (const key of keys) {
    const v = detail[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** "n of m pods" from the drain step's facts, when the pipeline reported them. */
export function drainCounts(detail: Stage['detail']): { done: number; total: number } | null {
  const done = firstNumber(detail, doneKeys);
  const total = firstNumber(detail, totalKeys);
  return done !== null && total !== null ? { done, total } : null;
}

/** The blocking PDB or pod the drain step named, if any. */
export function drainBlocker(detail: Stage['detail']): string | null {
  for (const key of ['blocker', 'pdb', 'blockingPdb', 'pod', 'blockingPod']) {
    const v = detail[key];
    if (typeof v === 'string' && v) return v;
  }
  return null;
}
