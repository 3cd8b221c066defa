import { attentionReasons, updateState, updateStateKeys } from './fleet.ts';
import type { NodeRow, UpdateStateKey } from './fleet.ts';
import { compareVersions } from './table.ts';

export interface VersionSlice {
  /** "4230.2.1 · stable", or the distribution for non-Flatcar nodes. */
  key: string;
  version: string | null;
  channel: string | null;
  count: number;
}

export function versionKey(row: NodeRow): string {
  const s = row.summary;
  if (s.distribution !== 'flatcar' || !s.flatcarVersion) return s.distribution;
  return s.channel ? `${s.flatcarVersion} · ${s.channel}` : s.flatcarVersion;
}

export function versionBreakdown(rows: Iterable<NodeRow>): VersionSlice[] {
  const slices = new Map<string, VersionSlice>();
  for (const row of rows) {
    const key = versionKey(row);
    const slice = slices.get(key);
    if (slice) slice.count++;
    else slices.set(key, { key, version: row.summary.flatcarVersion, channel: row.summary.channel, count: 1 });
  }
  return [...slices.values()].sort((a, b) => compareVersions(b.version, a.version) || a.key.localeCompare(b.key));
}

export function stateBreakdown(rows: Iterable<NodeRow>): Record<UpdateStateKey, number> {
  const counts = Object.fromEntries(updateStateKeys.map((k) => [k, 0])) as Record<UpdateStateKey, number>;
  for (const row of rows) counts[updateState(row)]++;
  return counts;
}

export function attentionCount(rows: Iterable<NodeRow>): number {
  let n = 0;
  for (const row of rows) if (attentionReasons(row).length > 0) n++;
  return n;
}

/** Nodes that boot a staged update at their next reboot (from the Node objects, so every instance agrees). */
export function stagedCount(rows: Iterable<NodeRow>): number {
  let n = 0;
  for (const row of rows) if (row.summary.stagedVersion) n++;
  return n;
}

export interface HistorySample {
  atMs: number;
  versions: Record<string, number>;
}

/** Version counts over the session, one sample per change, so the chart shows each rollout's effect. */
export class VersionHistory {
  readonly samples: HistorySample[] = [];
  readonly #max: number;
  constructor(max = 500) {
    this.#max = max;
  }
  record(atMs: number, slices: readonly VersionSlice[]): boolean {
    const versions = Object.fromEntries(slices.map((s) => [s.key, s.count]));
    const last = this.samples.at(-1);
    if (last && JSON.stringify(last.versions) === JSON.stringify(versions)) return false;
    this.samples.push({ atMs, versions });
    if (this.samples.length > this.#max) this.samples.splice(0, this.samples.length - this.#max);
    return true;
  }
  keys(): string[] {
    const keys = new Set<string>();
    for (const s of this.samples) for (const k of Object.keys(s.versions)) keys.add(k);
    return [...keys];
  }
}
