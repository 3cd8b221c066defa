import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { NodePhase, PipelineStep } from '../api/pipeline.ts';

/** Everything needed to resume or hand back one node, also mirrored in its flatdeck.io annotations. */
export const NodeRecord = z.object({
  node: z.string(),
  phase: NodePhase,
  step: PipelineStep.nullable(),
  fromVersion: z.string().nullable(),
  toVersion: z.string().nullable(),
  bootIdBefore: z.string().nullable(),
  rebootIssuedAt: z.string().nullable(),
  cordonedByUs: z.boolean(),
  ueOriginal: z.string().nullable(),
  fluoPausedBefore: z.string().nullable(),
});
export type NodeRecord = z.infer<typeof NodeRecord>;

export const JournalEntry = z.object({
  v: z.literal(1),
  at: z.string(),
  runId: z.string(),
  cluster: z.string(),
  holder: z.string(),
  /** `run-start` carries the options, `node` a node's record after a step, `run-end` closes the run. */
  type: z.enum(['run-start', 'node', 'run-end']),
  record: NodeRecord.optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  status: z.string().optional(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

export interface Journal {
  append(entry: JournalEntry): void;
  entries(runId: string): JournalEntry[];
  runIds(): string[];
}

/** needs-attention is not terminal: the node is still cordoned and waits for a resume or a hand-back. */
const terminalPhases = new Set(['done', 'current', 'failed', 'skipped']);

/** Nodes of a run whose last record is not terminal: a crash (or kill) interrupted them. */
export function unfinishedNodes(entries: readonly JournalEntry[]): NodeRecord[] {
  const last = new Map<string, NodeRecord>();
  for (const e of entries) if (e.type === 'node' && e.record) last.set(e.record.node, e.record);
  return [...last.values()].filter((r) => !terminalPhases.has(r.phase) && (r.step !== null || r.phase === 'needs-attention'));
}

/**
 * JSON lines, one file per run in the app data dir; every append is fsync'd before the pipeline goes on, so
 * after a crash the journal is never behind what happened to the cluster by more than the step in flight.
 */
export class FileJournal implements Journal {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'runs');
    mkdirSync(this.dir, { recursive: true });
  }

  private file(runId: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new RangeError(`invalid run id "${runId}"`);
    return join(this.dir, `${runId}.jsonl`);
  }

  append(entry: JournalEntry): void {
    const fd = openSync(this.file(entry.runId), 'a');
    try {
      writeSync(fd, `${JSON.stringify(JournalEntry.parse(entry))}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  entries(runId: string): JournalEntry[] {
    const f = this.file(runId);
    if (!existsSync(f)) return [];
    const out: JournalEntry[] = [];
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const parsed = JournalEntry.safeParse(JSON.parse(line));
        if (parsed.success) out.push(parsed.data);
      } catch {
        // a torn last line from a crash mid-write: everything before it is intact
      }
    }
    return out;
  }

  runIds(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => f.slice(0, -'.jsonl'.length))
      .sort();
  }
}

export class MemoryJournal implements Journal {
  readonly all: JournalEntry[] = [];
  append(entry: JournalEntry): void {
    this.all.push(JournalEntry.parse(entry));
  }
  entries(runId: string): JournalEntry[] {
    return this.all.filter((e) => e.runId === runId);
  }
  runIds(): string[] {
    return [...new Set(this.all.map((e) => e.runId))];
  }
}
