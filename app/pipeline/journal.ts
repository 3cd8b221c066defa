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
  /** locksmithd as found before flatdeck held it (`<file>,<active|inactive>`); absent or null = untouched. */
  lsOriginal: z.string().nullable().optional(),
  /** flatdeck commented out SERVER=disabled in /etc/flatcar/update.conf for this run. */
  serverLifted: z.boolean().optional(),
  /** An update is downloaded and applied whose version update_engine no longer names (it restarted since). */
  staged: z.boolean().optional(),
  /** What the run does to the node: absent = update; `rollback` = boot the other USR partition's release. */
  action: z.enum(['rollback', 'reboot']).optional(),
  /** `reboot` of an Ubuntu node without /var/run/reboot-required (the operator's --force). */
  forced: z.boolean().optional(),
  /** The exact release the operator asked for (`--to-version`), installed with flatcar-update; absent: the channel's newest. */
  pinned: z.string().optional(),
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

/** A run that got no further than pre-flight changed nothing on its node: there is nothing to resume or give back. */
const touchedNothing = (r: NodeRecord) => (r.step === null || r.step === 'preflight') && r.phase !== 'needs-attention';

/** Nodes of a run whose last record is not terminal: a crash (or kill) interrupted them after they were touched. */
export function unfinishedNodes(entries: readonly JournalEntry[]): NodeRecord[] {
  const last = new Map<string, NodeRecord>();
  for (const e of entries) if (e.type === 'node' && e.record) last.set(e.record.node, e.record);
  return [...last.values()].filter((r) => !terminalPhases.has(r.phase) && !touchedNothing(r));
}

/**
 * JSON lines, one file per run in the app data dir; every append is fsync'd before the pipeline goes on, so
 * after a crash the journal is never behind what happened to the cluster by more than the step in flight.
 * With a `cluster` identity (see `clusterIdentity`) a cluster's runs live in a folder of their own, so two
 * clusters whose contexts share a name (every kubeadm cluster's `kubernetes-admin@kubernetes`) never mix;
 * runs written before that, in the shared folder, are still read.
 */
export class FileJournal implements Journal {
  private readonly dir: string;
  private readonly shared: string | null;

  constructor(dataDir: string, cluster: string | null = null) {
    const shared = join(dataDir, 'runs');
    this.dir = cluster === null ? shared : join(shared, cluster.replace(/[^A-Za-z0-9._-]/g, '_'));
    this.shared = cluster === null ? null : shared;
    mkdirSync(this.dir, { recursive: true });
  }

  private static checked(runId: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new RangeError(`invalid run id "${runId}"`);
    return `${runId}.jsonl`;
  }

  private file(runId: string): string {
    return join(this.dir, FileJournal.checked(runId));
  }

  /** The files holding a run: an older shared-folder file first, then this cluster's own. */
  private files(runId: string): string[] {
    const own = this.file(runId);
    const old = this.shared === null ? null : join(this.shared, FileJournal.checked(runId));
    return [...(old !== null && existsSync(old) ? [old] : []), ...(existsSync(own) ? [own] : [])];
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
    const out: JournalEntry[] = [];
    for (const line of this.files(runId).flatMap((f) => readFileSync(f, 'utf8').split('\n'))) {
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
    const names = [this.dir, ...(this.shared === null ? [] : [this.shared])].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.jsonl')));
    return [...new Set(names.map((f) => f.slice(0, -'.jsonl'.length)))].sort();
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
