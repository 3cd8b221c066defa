import type { PipelineStep } from '../api/pipeline.ts';

/** Step durations measured in one cluster; ETAs come only from these, never from fixed guesses. */
export class StepDurations {
  private readonly samples = new Map<PipelineStep, number[]>();

  record(step: PipelineStep, ms: number): void {
    const list = this.samples.get(step) ?? [];
    list.push(ms);
    this.samples.set(step, list);
  }

  /** Median of what was measured (robust against one slow node), or null when nothing was measured yet. */
  typical(step: PipelineStep): number | null {
    const list = this.samples.get(step);
    if (!list || list.length === 0) return null;
    const sorted = [...list].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  }

  toJSON(): Record<string, number[]> {
    return Object.fromEntries([...this.samples.entries()].map(([k, v]) => [k, v.slice(-50)]));
  }

  count(step: PipelineStep): number {
    return this.samples.get(step)?.length ?? 0;
  }

  /**
   * Remaining ms for the given steps, the first of which may be running for `elapsedInCurrentMs`.
   * Null if any step has no measurement yet: an honest "unknown" beats a made-up number.
   */
  remaining(steps: readonly PipelineStep[], elapsedInCurrentMs = 0): number | null {
    let total = 0;
    for (const [i, step] of steps.entries()) {
      const t = this.typical(step);
      if (t === null) return null;
      total += i === 0 ? Math.max(0, t - elapsedInCurrentMs) : t;
    }
    return total;
  }
}

/** The steps that run one node at a time across the cluster. */
export const serialSteps: readonly PipelineStep[] = ['lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon', 'health-gate', 'settle', 'release'];

export interface EtaNode {
  /** Steps still to run for this node, the first possibly in progress. */
  remainingSteps: readonly PipelineStep[];
  elapsedInCurrentMs: number;
  serial: boolean;
}

/**
 * Rollout ETA: the serial part runs node after node, downloads overlap it. The rollout cannot end before
 * the serial work of every node is done, nor before any node's download plus that node's own serial work.
 */
export function rolloutEtaMs(durations: StepDurations, nodes: readonly EtaNode[]): number | null {
  let serialSum = 0;
  let downloadBound = 0;
  for (const n of nodes) {
    const serialPart = n.remainingSteps.filter((s) => serialSteps.includes(s));
    const firstIsSerial = n.remainingSteps[0] !== undefined && serialSteps.includes(n.remainingSteps[0]);
    const serial = durations.remaining(serialPart, firstIsSerial ? n.elapsedInCurrentMs : 0);
    if (serial === null) return null;
    serialSum += serial;
    const before = n.remainingSteps.filter((s) => !serialSteps.includes(s));
    const pre = durations.remaining(before, firstIsSerial ? 0 : n.elapsedInCurrentMs);
    if (pre === null) return null;
    downloadBound = Math.max(downloadBound, pre + serial);
  }
  return Math.max(serialSum, downloadBound);
}
