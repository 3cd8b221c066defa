import { setMaxListeners } from 'node:events';
import { ApiError, toErrorInfo, type ApiErrorInfo } from '../api/errors.ts';
import type { AttentionCode, AttentionNote, NoteParams, WaitingNote } from '../api/notes.ts';
import type { PipelineStep, StepEvent, StepMessageCode, StepMessageParams, UpdateOptions } from '../api/pipeline.ts';
import type { StepDurations } from './eta.ts';
import type { Journal, NodeRecord } from './journal.ts';
import { writeMark } from '../cluster/node-annotations.ts';
import type { ClusterPort, Clock, EventSink, FlatcarNode } from './ports.ts';

export interface PipelineDeps {
  clusterId: string;
  cluster: ClusterPort;
  flatcarNode(node: string, runId: string | null): FlatcarNode;
  journal: Journal;
  clock: Clock;
  emit: EventSink;
  /** Lease holder identity: user@host plus this process's instance id. */
  holder: string;
  durations: StepDurations;
  lock: { namespace: string; name: string };
}

/** Pause, resume and cancel, honoured between steps; `signal` aborts waits when cancelling. */
export class RunControl {
  private paused = false;
  private cancelled = false;
  private readonly abort = new AbortController();
  private wake: Array<() => void> = [];
  waitingFor: string | null = null;
  waiting: WaitingNote | null = null;
  onChange: () => void = () => undefined;

  constructor() {
    // every node's download and wait listens on the one cancel signal of its run
    setMaxListeners(0, this.abort.signal);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }
  get isPaused(): boolean {
    return this.paused;
  }
  get isCancelled(): boolean {
    return this.cancelled;
  }
  pause(): void {
    this.paused = true;
    this.onChange();
  }
  resume(): void {
    this.paused = false;
    for (const w of this.wake.splice(0)) w();
    this.onChange();
  }
  cancel(): void {
    this.cancelled = true;
    this.abort.abort(new ApiError('cancelled', 'The run was cancelled by the operator'));
    for (const w of this.wake.splice(0)) w();
    this.onChange();
  }
  /** What the run waits for, in English, and as a code where the UI can word it. */
  setWaiting(reason: string | null, note: WaitingNote | null = null): void {
    if (reason === this.waitingFor) return;
    this.waitingFor = reason;
    this.waiting = reason === null ? null : note;
    this.onChange();
  }
  /** A safe point between steps: waits while paused, throws when cancelled. */
  async checkpoint(): Promise<void> {
    while (this.paused && !this.cancelled) await new Promise<void>((r) => this.wake.push(r));
    if (this.cancelled) throw new ApiError('cancelled', 'The run was cancelled by the operator');
  }
}

export interface NodeCtx {
  deps: PipelineDeps;
  runId: string;
  node: string;
  options: UpdateOptions;
  rec: NodeRecord;
  ops: FlatcarNode;
  control: RunControl;
  /** Called whenever rec changed (rollout state and ETA). */
  onRecord: (rec: NodeRecord, progress?: number) => void;
  /**
   * The node needs the operator: something that should have happened (an uncordon, a restore, a release) did
   * not, or the run stopped where only a person can decide. Shown in the run, as an event and on the Node.
   */
  needsAttention: (step: PipelineStep, note: AttentionNote) => Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function emitStep(ctx: NodeCtx, step: PipelineStep, status: StepEvent['status'], message: string, extra: Partial<StepEvent> = {}): void {
  ctx.deps.emit({
    topic: 'step',
    payload: {
      runId: ctx.runId,
      cluster: ctx.deps.clusterId,
      node: ctx.node,
      step,
      status,
      at: iso(ctx.deps.clock.nowMs()),
      message,
      code: null,
      params: {},
      detail: {},
      durationMs: null,
      error: null,
      ...extra,
    },
  });
}

export function journalRecord(ctx: NodeCtx): void {
  ctx.deps.journal.append({ v: 1, at: iso(ctx.deps.clock.nowMs()), runId: ctx.runId, cluster: ctx.deps.clusterId, holder: ctx.deps.holder, type: 'node', record: { ...ctx.rec } });
  ctx.onRecord(ctx.rec);
}

/** A step message in English with the code and parameters the UI words it from in its language. */
export interface CodedMessage {
  message: string;
  code?: StepMessageCode;
  params?: StepMessageParams;
}

export const coded = (code: StepMessageCode, params: StepMessageParams, message: string): CodedMessage => ({ message, code, params });

/** What a node needs from the operator: the English `message` for the CLI and the Node, a code for the UI. */
export const attentionNote = (code: AttentionCode, params: NoteParams, message: string): AttentionNote => ({ code, params, message });

export const codeOf = (m: CodedMessage): Partial<StepEvent> => (m.code ? { code: m.code, params: m.params ?? {} } : {});

export interface StepOutcome extends CodedMessage {
  detail?: StepEvent['detail'];
}

/**
 * Runs one step: journals that it started (before anything changes), emits started/succeeded/failed with
 * the duration, and feeds the measured duration into the cluster's ETA statistics.
 */
export async function runStep<T>(ctx: NodeCtx, step: PipelineStep, start: string | CodedMessage, fn: () => Promise<T>, done: (v: T) => StepOutcome): Promise<T> {
  const started = ctx.deps.clock.nowMs();
  ctx.rec.step = step;
  journalRecord(ctx);
  const startMessage = typeof start === 'string' ? { message: start } : start;
  emitStep(ctx, step, 'started', startMessage.message, codeOf(startMessage));
  try {
    const v = await fn();
    const durationMs = ctx.deps.clock.nowMs() - started;
    ctx.deps.durations.record(step, durationMs);
    const out = done(v);
    emitStep(ctx, step, 'succeeded', out.message, { durationMs, detail: out.detail ?? {}, ...codeOf(out) });
    return v;
  } catch (err) {
    const error: ApiErrorInfo = toErrorInfo(err);
    emitStep(ctx, step, 'failed', error.message, { durationMs: ctx.deps.clock.nowMs() - started, error });
    throw err;
  }
}

/**
 * Records on the Node itself that it needs the operator, with who left it so: every instance (and `resume`
 * from another machine) sees it. When the API is what failed, this fails too; the caller still has the event
 * and the journal.
 */
export async function markNeedsAttention(ctx: Pick<NodeCtx, 'deps' | 'runId' | 'node' | 'rec'>, step: PipelineStep, reasons: readonly AttentionNote[]): Promise<void> {
  const { rec } = ctx;
  await writeMark(ctx.deps.cluster.nodes, ctx.node, {
    instance: ctx.deps.holder,
    run: ctx.runId,
    step,
    since: iso(ctx.deps.clock.nowMs()),
    attention: reasons.map((r) => r.message).join('; '),
    cordonedByUs: rec.cordonedByUs,
    ueOriginal: rec.ueOriginal,
    lsOriginal: rec.lsOriginal ?? null,
    serverLifted: rec.serverLifted === true,
    fluoPausedBefore: rec.fluoPausedBefore,
    fromVersion: rec.fromVersion,
    toVersion: rec.toVersion,
  });
}

/** The attention record: phase, event, Node mark; `reasons` is the node's whole list so far. */
export async function recordAttention(ctx: NodeCtx, step: PipelineStep, note: AttentionNote, reasons: readonly AttentionNote[]): Promise<void> {
  ctx.rec.phase = 'needs-attention';
  emitStep(ctx, step, 'failed', `${ctx.node} needs attention: ${note.message}`, { code: 'attention', params: { node: ctx.node, note: note.code, ...note.params }, detail: { attention: true } });
  try {
    await markNeedsAttention(ctx, step, reasons);
  } catch (err) {
    emitStep(ctx, step, 'progress', `Could not mark ${ctx.node} as needing attention on the Node either: ${toErrorInfo(err).message}`, { detail: { attention: true } });
  }
  journalRecord(ctx);
}

/** A context outside any Run (hand-back): attention goes to the events and the Node, the record to the journal. */
export function detachedNodeCtx(deps: PipelineDeps, runId: string, rec: NodeRecord, options: UpdateOptions): NodeCtx {
  const reasons: AttentionNote[] = [];
  const ctx: NodeCtx = {
    deps,
    runId,
    node: rec.node,
    options,
    rec,
    ops: deps.flatcarNode(rec.node, runId),
    control: new RunControl(),
    onRecord: () => undefined,
    needsAttention: async (step, note) => {
      reasons.push(note);
      await recordAttention(ctx, step, note, reasons);
    },
  };
  return ctx;
}
