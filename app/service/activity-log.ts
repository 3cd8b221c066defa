import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ActivityEntry } from '../api/activity.ts';

const KEEP = 100_000;
const LOAD_TAIL_BYTES = 8 * 1024 * 1024;

/**
 * What flatdeck did and saw, newest last: kept in memory (bounded) and appended to activity.jsonl so it survives
 * restarts. Lines that do not parse are skipped on load, never fatal.
 */
export class ActivityLog {
  private readonly entries: ActivityEntry[] = [];
  private readonly listeners = new Set<(e: ActivityEntry) => void>();
  /** The file ends in a torn line (a crash mid-write): the next entry starts on a new line. */
  private tornTail = false;

  constructor(private readonly file: string | null) {
    if (file && existsSync(file)) this.load(file);
  }

  private load(file: string): void {
    const text = readFileSync(file, 'utf8');
    this.tornTail = text !== '' && !text.endsWith('\n');
    const tail = text.length > LOAD_TAIL_BYTES ? text.slice(text.indexOf('\n', text.length - LOAD_TAIL_BYTES) + 1) : text;
    for (const line of tail.split('\n')) {
      if (!line.trim()) continue;
      try {
        const parsed = ActivityEntry.safeParse(JSON.parse(line));
        if (parsed.success) this.entries.push(parsed.data);
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    this.trim();
  }

  private trim(): void {
    if (this.entries.length > KEEP) this.entries.splice(0, this.entries.length - KEEP);
  }

  onEntry(listener: (e: ActivityEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  record(
    kind: string,
    message: string,
    where: { cluster?: string | null; node?: string | null } = {},
    extra: { params?: ActivityEntry['params']; actor?: string | null } = {},
  ): ActivityEntry {
    const entry: ActivityEntry = {
      at: new Date().toISOString(),
      cluster: where.cluster ?? null,
      node: where.node ?? null,
      kind,
      message,
      params: extra.params ?? {},
      actor: extra.actor ?? null,
    };
    this.entries.push(entry);
    this.trim();
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      appendFileSync(this.file, `${this.tornTail ? '\n' : ''}${JSON.stringify(entry)}\n`);
      this.tornTail = false;
    }
    for (const l of this.listeners) l(entry);
    return entry;
  }

  /** The newest `limit` entries, oldest first. */
  list(limit: number): ActivityEntry[] {
    return this.entries.slice(-limit);
  }

  export(format: 'json' | 'csv'): { filename: string; content: string } {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    if (format === 'json') return { filename: `flatdeck-activity-${stamp}.json`, content: JSON.stringify(this.entries, null, 2) };
    const cell = (v: string | null) => {
      const s = v ?? '';
      // Quote always; neutralise spreadsheet formulas an attacker-chosen node name could carry.
      const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
      return `"${safe.replaceAll('"', '""')}"`;
    };
    const rows = this.entries.map((e) => [e.at, e.cluster, e.node, e.kind, e.message, e.actor].map(cell).join(','));
    return { filename: `flatdeck-activity-${stamp}.csv`, content: ['at,cluster,node,kind,message,actor', ...rows].join('\r\n') + '\r\n' };
  }
}
