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
    // a number, so the caller formats it for its locale (0.2 s, 0,2 s)
    const seconds = typeof p.durationMs === 'number' ? Math.round(p.durationMs / 100) / 10 : null;
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
  if (e.kind === 'settings-changed' && typeof p.fields === 'string') return { key: 'activity.settings-changed', vars: { fields: p.fields } };
  if (e.kind === 'known-host-removed' && typeof p.count === 'number') return { key: 'activity.known-host-removed', vars: { count: p.count, host: text(p.host), port: text(p.port), file: text(p.file) } };
  if (e.kind === 'channel-set' && typeof p.channel === 'string') return { key: 'activity.channel-set', vars: { channel: p.channel, nodes: text(p.nodes) } };
  if (e.kind === 'auto-update' && typeof p.enable === 'boolean') {
    const vars = { done: Number(p.done ?? 0), failed: Number(p.failed ?? 0), unreachable: text(p.unreachable) };
    return { key: `activity.auto-update.${p.enable ? 'on' : 'off'}${vars.unreachable ? '.unreachable' : ''}`, vars };
  }
  if (e.kind === 'machine-deployment' && typeof p.edit === 'string') return { key: `activity.machine-deployment.${p.edit}`, vars: { name: text(p.name), count: Number(p.count ?? 0) } };
  return null;
}
