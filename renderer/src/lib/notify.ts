import type { RolloutState } from '../../../app/api/index.ts';

export type RolloutOutcome = 'succeeded' | 'failed' | 'cancelled';
const outcomes = new Set<string>(['succeeded', 'failed', 'cancelled']);

/** Remembers each run's last status and reports the moment a run ends, exactly once per run. */
export class RolloutWatcher {
  readonly #seen = new Map<string, RolloutState['status']>();

  observe(state: RolloutState): RolloutOutcome | null {
    const before = this.#seen.get(state.runId);
    this.#seen.set(state.runId, state.status);
    if (!outcomes.has(state.status)) return null;
    if (before === undefined || outcomes.has(before)) return null;
    return state.status as RolloutOutcome;
  }
}
