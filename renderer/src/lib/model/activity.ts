import type { ActivityEntry } from '../../../../app/api/index.ts';

/** How an Activity entry is worded: a message key and its values, or null to show the core's English text. */
export interface Wording {
  key: string;
  vars: Record<string, string | number>;
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/**
 * The core records a code (`kind`) and parameters; the UI words them in its language. `step` and `errorKind`
 * values are message keys themselves (`step.drain`, `error.drain-timeout`), resolved by the caller.
 */
export function activityWording(e: ActivityEntry): Wording | null {
  const p = e.params;
  const step = /^step-(started|succeeded|failed|skipped)$/.exec(e.kind);
  if (step && typeof p.step === 'string') {
    const seconds = typeof p.durationMs === 'number' ? (p.durationMs / 1000).toFixed(1) : null;
    return { key: `activity.step.${step[1]}${seconds === null ? '' : '.took'}`, vars: { step: p.step, seconds: seconds ?? '', error: text(p.errorKind) } };
  }
  if (/^run-(started|succeeded|failed|cancelled)$/.test(e.kind) && typeof p.nodes === 'number') {
    return {
      key: `activity.${e.kind}`,
      vars: { nodes: p.nodes, first: text(p.first), updated: Number(p.updated ?? 0), current: Number(p.current ?? 0), skipped: Number(p.skipped ?? 0), failed: Number(p.failed ?? 0) },
    };
  }
  if (/^run-(paused|resumed|cancel-requested)$/.test(e.kind)) return { key: `activity.${e.kind}`, vars: { actor: e.actor ?? '?', nodes: Number(p.nodes ?? 0) } };
  if (/^cluster-(connected|disconnected|connecting)$/.test(e.kind) && e.cluster) return { key: `activity.${e.kind}`, vars: { cluster: e.cluster } };
  return null;
}
