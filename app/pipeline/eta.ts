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
  /** The node's failure domain (its zone label); null or absent: a domain of its own, as the lock counts it. */
  domain?: string | null;
}

const isSerial = (step: PipelineStep | undefined): boolean => step !== undefined && serialSteps.includes(step);

/**
 * Rollout ETA. Downloads run side by side; lock → … → release runs in `slots` turns (--max-unavailable K), each
 * turn taking the next node in order once that node's download is done, never two nodes of one failure domain
 * at once (the lock makes a turn wait). Played out node by node on those rules: nodes already in a turn first,
 * then the rest in order, each starting when a turn, its domain and its download are all free. With K turns and
 * as many domains that is remaining nodes / K waves; with fewer domains, the busiest domain's nodes one by one.
 */
export function rolloutEtaMs(durations: StepDurations, nodes: readonly EtaNode[], slots = 1): number | null {
  const turnFreeAt = Array.from({ length: Math.max(1, Math.floor(slots)) }, () => 0);
  const domainFreeAt = new Map<string, number>();
  let end = 0;
  const inTurn = nodes.filter((n) => isSerial(n.remainingSteps[0]));
  for (const n of [...inTurn, ...nodes.filter((x) => !inTurn.includes(x))]) {
    const firstIsSerial = isSerial(n.remainingSteps[0]);
    const serialPart = n.remainingSteps.filter(isSerial);
    const serial = durations.remaining(serialPart, firstIsSerial ? n.elapsedInCurrentMs : 0);
    const pre = durations.remaining(n.remainingSteps.filter((s) => !isSerial(s)), firstIsSerial ? 0 : n.elapsedInCurrentMs);
    if (serial === null || pre === null) return null;
    if (serialPart.length === 0) {
      end = Math.max(end, pre);
      continue;
    }
    const turn = turnFreeAt.indexOf(Math.min(...turnFreeAt));
    const start = Math.max(turnFreeAt[turn] as number, pre, n.domain ? (domainFreeAt.get(n.domain) ?? 0) : 0);
    turnFreeAt[turn] = start + serial;
    if (n.domain) domainFreeAt.set(n.domain, start + serial);
    end = Math.max(end, start + serial);
  }
  return end;
}
