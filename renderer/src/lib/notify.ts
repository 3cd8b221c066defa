import type { RolloutState } from '../../../app/api/index.ts';

export type RolloutOutcome = 'succeeded' | 'failed' | 'cancelled';
const outcomes = new Set<string>(['succeeded', 'failed', 'cancelled']);

const attentionPhases = new Set<string>(['failed', 'needs-attention']);

/** Remembers each run's last status and reports the moment a run ends, exactly once per run. */
export class RolloutWatcher {
  readonly #seen = new Map<string, RolloutState['status']>();
  readonly #attention = new Set<string>();

  /** Nodes of this run that have just come to need the operator (failed or needs-attention), each once. */
  needingAttention(state: RolloutState): RolloutState['nodes'] {
    return state.nodes.filter((n) => {
      const key = `${state.runId}\u0000${n.node}`;
      if (!attentionPhases.has(n.phase) || this.#attention.has(key)) return false;
      this.#attention.add(key);
      return true;
    });
  }

  observe(state: RolloutState): RolloutOutcome | null {
    const before = this.#seen.get(state.runId);
    this.#seen.set(state.runId, state.status);
    if (!outcomes.has(state.status)) return null;
    if (before === undefined || outcomes.has(before)) return null;
    return state.status as RolloutOutcome;
  }
}
