import type { RolloutState, StepEvent } from '../api/pipeline.ts';
import type { PipelineEvent } from '../pipeline/ports.ts';
import type { ActivityLog } from './activity-log.ts';

const FINISHED: ReadonlySet<RolloutState['status']> = new Set(['succeeded', 'failed', 'cancelled']);

function stepLine(e: StepEvent): string {
  const took = e.durationMs === null ? '' : ` (${(e.durationMs / 1000).toFixed(1)} s)`;
  return `${e.node}: ${e.step} ${e.status}${took}: ${e.message}`;
}

function runScope(s: RolloutState): string {
  const nodes = s.nodes.map((n) => n.node);
  return s.kind === 'single' ? `Update of ${nodes.join(', ')}` : `Rollout of ${nodes.length} node(s)`;
}

/** The counts an Activity line about a run is worded from, in any language. */
function runParams(s: RolloutState): Record<string, string | number> {
  const count = (...phases: string[]) => s.nodes.filter((n) => phases.includes(n.phase)).length;
  return {
    runId: s.runId,
    scope: s.kind,
    nodes: s.nodes.length,
    first: s.nodes[0]?.node ?? '',
    updated: count('done'),
    current: count('current'),
    skipped: count('skipped'),
    failed: count('failed', 'needs-attention'),
  };
}

/**
 * Turns pipeline events into the Activity log: every step transition of every node (not the progress ticks in
 * between, which would flood it) and the start and end of each run. Rollout states arrive on every change, so
 * each run is recorded once when first seen and once when it finishes.
 */
export function pipelineActivity(activity: ActivityLog): (event: PipelineEvent) => void {
  const runs = new Map<string, 'open' | 'finished'>();
  return (event) => {
    if (event.topic === 'step') {
      const e = event.payload;
      if (e.status !== 'progress') {
        activity.record(`step-${e.status}`, stepLine(e), { cluster: e.cluster, node: e.node }, {
          // the step message's code and params too: a needs-attention line is worded from them
          params: { ...e.params, code: e.code, step: e.step, durationMs: e.durationMs, errorKind: e.error?.kind ?? null },
        });
      }
    } else if (event.topic === 'rollout') {
      const s = event.payload;
      if (!runs.has(s.runId)) {
        runs.set(s.runId, 'open');
        activity.record('run-started', `${runScope(s)} started (run ${s.runId})`, { cluster: s.cluster }, { params: runParams(s) });
      }
      if (FINISHED.has(s.status) && runs.get(s.runId) === 'open') {
        runs.set(s.runId, 'finished');
        const why = s.error ? `: ${s.error.message}` : '';
        activity.record(`run-${s.status}`, `${runScope(s)} ${s.status} (run ${s.runId})${why}`, { cluster: s.cluster }, {
          params: { ...runParams(s), errorKind: s.error?.kind ?? null },
        });
      }
    }
  };
}
