import { setMaxListeners } from 'node:events';
import { ApiError, toErrorInfo, type ApiErrorInfo } from '../api/errors.ts';
import type { PipelineStep, StepEvent, UpdateOptions } from '../api/pipeline.ts';
import type { StepDurations } from './eta.ts';
import type { Journal, NodeRecord } from './journal.ts';
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
  setWaiting(reason: string | null): void {
    if (reason === this.waitingFor) return;
    this.waitingFor = reason;
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

export interface StepOutcome {
  message: string;
  detail?: StepEvent['detail'];
}

/**
 * Runs one step: journals that it started (before anything changes), emits started/succeeded/failed with
 * the duration, and feeds the measured duration into the cluster's ETA statistics.
 */
export async function runStep<T>(ctx: NodeCtx, step: PipelineStep, startMessage: string, fn: () => Promise<T>, done: (v: T) => StepOutcome): Promise<T> {
  const started = ctx.deps.clock.nowMs();
  ctx.rec.step = step;
  journalRecord(ctx);
  emitStep(ctx, step, 'started', startMessage);
  try {
    const v = await fn();
    const durationMs = ctx.deps.clock.nowMs() - started;
    ctx.deps.durations.record(step, durationMs);
    const out = done(v);
    emitStep(ctx, step, 'succeeded', out.message, { durationMs, detail: out.detail ?? {} });
    return v;
  } catch (err) {
    const error: ApiErrorInfo = toErrorInfo(err);
    emitStep(ctx, step, 'failed', error.message, { durationMs: ctx.deps.clock.nowMs() - started, error });
    throw err;
  }
}

export function stepError(kind: ApiError['kind'], message: string, facts: ApiError['facts'] = {}): ApiError {
  return new ApiError(kind, message, facts);
}
