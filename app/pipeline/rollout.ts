import { randomUUID } from 'node:crypto';
import { ApiError, toErrorInfo } from '../api/errors.ts';
import type { PipelineStep, RolloutNodeState, RolloutOptions, RolloutState, UpdateOptions } from '../api/pipeline.ts';
import { pipelineSteps } from '../api/pipeline.ts';
import { ClusterLock } from './cluster-lock.ts';
import { rolloutEtaMs } from './eta.ts';
import type { NodeRecord } from './journal.ts';
import { cleanUpAfter, preflightStep, prepareNode, rebootNode } from './node-run.ts';
import type { PreflightFacts } from './preflight.ts';
import { isInWindow, nextWindowOpening } from './reboot-window.ts';
import { RunControl, type NodeCtx, type PipelineDeps } from './run-context.ts';

export type RunKind = 'single' | 'rollout';
export interface RunSpec {
  kind: RunKind;
  nodes: string[];
  options: UpdateOptions & Partial<Pick<RolloutOptions, 'maxParallelDownloads' | 'rebootWindow' | 'healthGate' | 'stopOnFailure'>>;
  /** Resume: records from the journal/annotations, so cordon ownership and originals carry over. */
  inherited?: Map<string, NodeRecord>;
  runId?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function newRunId(nowMs: number): string {
  return `${new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomUUID().slice(0, 8)}`;
}

const freshRecord = (node: string): NodeRecord => ({
  node,
  phase: 'waiting',
  step: null,
  fromVersion: null,
  toVersion: null,
  bootIdBefore: null,
  rebootIssuedAt: null,
  cordonedByUs: false,
  ueOriginal: null,
  fluoPausedBefore: null,
});

/** Runs up to `limit` tasks at once, in order of the input. */
function boundedStart<T>(items: readonly string[], limit: number, task: (item: string) => Promise<T>): Map<string, Promise<T>> {
  const out = new Map<string, Promise<T>>();
  let active = 0;
  const queue: Array<() => void> = [];
  const slot = () => (active < limit ? (active++, Promise.resolve()) : new Promise<void>((r) => queue.push(() => (active++, r()))));
  for (const item of items) {
    out.set(
      item,
      slot().then(() =>
        task(item).finally(() => {
          active--;
          queue.shift()?.();
        }),
      ),
    );
  }
  return out;
}

/**
 * A run over one or more nodes: pre-flight on all of them before anything changes, downloads in parallel
 * (bounded), then lock → cordon → drain → reboot → verify → uncordon → release strictly one node at a time,
 * honouring the reboot window, pause/resume/cancel between steps and stop-on-first-failure.
 */
export class Run {
  readonly runId: string;
  readonly control = new RunControl();
  readonly done: Promise<RolloutState>;
  private readonly records = new Map<string, NodeRecord>();
  private readonly progress = new Map<string, number | null>();
  private readonly startedAt = new Map<string, number>();
  private readonly finishedAt = new Map<string, number>();
  private readonly errors = new Map<string, ReturnType<typeof toErrorInfo>>();
  private readonly stepStartedAt = new Map<string, number>();
  private status: RolloutState['status'] = 'pending';
  private error: RolloutState['error'] = null;
  private readonly started: number;
  private ended: number | null = null;

  constructor(private readonly deps: PipelineDeps, private readonly spec: RunSpec) {
    this.started = deps.clock.nowMs();
    this.runId = spec.runId ?? newRunId(this.started);
    for (const n of spec.nodes) this.records.set(n, spec.inherited?.get(n) ? { ...(spec.inherited.get(n) as NodeRecord) } : freshRecord(n));
    this.control.onChange = () => this.publish();
    deps.journal.append({ v: 1, at: iso(this.started), runId: this.runId, cluster: deps.clusterId, holder: deps.holder, type: 'run-start', options: { kind: spec.kind, nodes: spec.nodes, ...spec.options } });
    this.done = this.execute();
  }

  state(): RolloutState {
    const now = this.deps.clock.nowMs();
    const nodes: RolloutNodeState[] = this.spec.nodes.map((n) => {
      const rec = this.records.get(n) as NodeRecord;
      return {
        node: n,
        phase: rec.phase,
        step: rec.step,
        fromVersion: rec.fromVersion,
        toVersion: rec.toVersion,
        downloadProgress: this.progress.get(n) ?? null,
        startedAt: this.startedAt.has(n) ? iso(this.startedAt.get(n) as number) : null,
        finishedAt: this.finishedAt.has(n) ? iso(this.finishedAt.get(n) as number) : null,
        etaSeconds: this.nodeEtaMs(n, now),
        error: this.errors.get(n) ?? null,
      };
    });
    const etaMs = this.status === 'running' || this.status === 'waiting-for-lock' || this.status === 'waiting-for-window' || this.status === 'paused'
      ? rolloutEtaMs(this.deps.durations, this.spec.nodes.filter((n) => !this.isFinal(n)).map((n) => ({ remainingSteps: this.remainingSteps(n), elapsedInCurrentMs: this.elapsed(n, now), serial: false })))
      : null;
    return {
      runId: this.runId,
      cluster: this.deps.clusterId,
      kind: this.spec.kind,
      status: this.control.isPaused && this.status === 'running' ? 'paused' : this.status,
      startedAt: iso(this.started),
      finishedAt: this.ended === null ? null : iso(this.ended),
      etaSeconds: etaMs === null ? null : Math.round(etaMs / 1000),
      nodes,
      error: this.error,
      waitingFor: this.control.waitingFor,
    };
  }

  private isFinal(n: string): boolean {
    return ['done', 'current', 'failed', 'needs-attention', 'skipped'].includes(this.records.get(n)?.phase ?? '');
  }

  private remainingSteps(n: string): PipelineStep[] {
    const rec = this.records.get(n) as NodeRecord;
    const from = rec.step ? pipelineSteps.indexOf(rec.step) : 0;
    const steps = pipelineSteps.slice(from).filter((s) => s !== 'preflight' || rec.step === 'preflight');
    return steps.filter((s) => s !== 'health-gate' || this.spec.options.healthGate);
  }

  private elapsed(n: string, now: number): number {
    const t = this.stepStartedAt.get(n);
    return t === undefined ? 0 : now - t;
  }

  private nodeEtaMs(n: string, now: number): number | null {
    if (this.isFinal(n)) return 0;
    const ms = this.deps.durations.remaining(this.remainingSteps(n), this.elapsed(n, now));
    return ms === null ? null : Math.round(ms / 1000);
  }

  private publish(): void {
    this.deps.emit({ topic: 'rollout', payload: this.state() });
  }

  private ctx(node: string): NodeCtx {
    const rec = this.records.get(node) as NodeRecord;
    let lastStep = rec.step;
    return {
      deps: this.deps,
      runId: this.runId,
      node,
      options: this.spec.options,
      rec,
      ops: this.deps.flatcarNode(node, this.runId),
      control: this.control,
      onRecord: (r, progress) => {
        if (r.step !== lastStep) {
          lastStep = r.step;
          this.stepStartedAt.set(node, this.deps.clock.nowMs());
        }
        if (progress !== undefined) this.progress.set(node, progress);
        if (this.isFinal(node) && !this.finishedAt.has(node)) this.finishedAt.set(node, this.deps.clock.nowMs());
        this.publish();
      },
    };
  }

  private fail(node: string, err: unknown): void {
    this.errors.set(node, toErrorInfo(err));
  }

  private async waitForWindow(): Promise<void> {
    const w = this.spec.options.rebootWindow;
    if (!w) return;
    for (;;) {
      const now = new Date(this.deps.clock.nowMs());
      if (isInWindow(w, now)) break;
      this.status = 'waiting-for-window';
      this.control.setWaiting(`the reboot window (${w.days.join(',')} ${w.start} for ${w.lengthMinutes} min, ${w.timeZone}); opens ${nextWindowOpening(w, now).toISOString()}`);
      await this.deps.clock.sleep(Math.min(60_000, Math.max(1000, nextWindowOpening(w, now).getTime() - now.getTime())), this.control.signal);
    }
    this.status = 'running';
    this.control.setWaiting(null);
  }

  private async execute(): Promise<RolloutState> {
    this.status = 'running';
    this.publish();
    const o = this.spec.options;
    const stopOnFailure = o.stopOnFailure ?? true;
    const lock = new ClusterLock(this.deps, o.leaseDurationSeconds);
    let failed = false;
    const resuming = (n: string) => this.spec.inherited?.get(n);
    // the boot ID is journaled before `systemctl reboot` goes out: without it the reboot was never sent
    const afterReboot = (n: string) => ['reboot', 'verify'].includes(resuming(n)?.step ?? '') && resuming(n)?.bootIdBefore !== null;

    // 1. Pre-flight everywhere first: blockers are listed before any node changes.
    const facts = new Map<string, PreflightFacts>();
    for (const n of this.spec.nodes.filter((x) => !afterReboot(x))) {
      this.startedAt.set(n, this.deps.clock.nowMs());
      try {
        facts.set(n, await preflightStep(this.ctx(n)));
      } catch (err) {
        this.fail(n, err);
        const ctx = this.ctx(n);
        await cleanUpAfter(ctx, null, err);
        failed = true;
      }
    }
    if (failed && stopOnFailure) {
      for (const n of this.spec.nodes) if (!this.isFinal(n) && !afterReboot(n)) this.records.set(n, { ...(this.records.get(n) as NodeRecord), phase: 'skipped' });
      if (this.spec.nodes.some(afterReboot)) failed = false;
      else return this.finish('failed', this.firstError());
    }

    // 2. Downloads in parallel (bounded); 3–8 one node at a time, in order.
    const limit = Math.max(1, o.maxParallelDownloads ?? 3);
    const eligible = this.spec.nodes.filter((n) => facts.has(n) || afterReboot(n));
    const prepared = boundedStart(eligible.filter((n) => facts.has(n)), limit, async (n) => {
      if (this.control.isCancelled || (failed && stopOnFailure)) return 'skipped' as const;
      try {
        return await prepareNode(this.ctx(n), facts.get(n) as PreflightFacts);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    });

    for (const n of eligible) {
      const ctx = this.ctx(n);
      const r: 'need-reboot' | 'current' | 'skipped' | Error = afterReboot(n) ? 'need-reboot' : await (prepared.get(n) as Promise<'need-reboot' | 'current' | 'skipped' | Error>);
      if (r !== 'current' && (r === 'skipped' || (failed && stopOnFailure))) {
        const why = r instanceof Error ? r : new ApiError('cancelled', 'Stopped before this node');
        if (r instanceof Error && toErrorInfo(r).kind !== 'cancelled') this.fail(n, r);
        await cleanUpAfter(ctx, null, why).catch(() => undefined);
        continue;
      }
      if (r instanceof Error) {
        this.fail(n, r);
        await cleanUpAfter(ctx, null, r).catch(() => undefined);
        failed = true;
        continue;
      }
      if (r === 'current') continue;
      try {
        if (this.control.isCancelled) throw new ApiError('cancelled', 'The run was cancelled by the operator');
        await this.waitForWindow();
        await this.control.checkpoint();
        await rebootNode(ctx, lock, o.healthGate ?? null, afterReboot(n) ? 'verify' : 'start');
      } catch (err) {
        this.fail(n, err);
        await cleanUpAfter(ctx, lock, err).catch(() => undefined);
        failed = true;
      }
    }
    await Promise.allSettled(prepared.values());
    if (this.control.isCancelled) return this.finish('cancelled', null);
    return this.finish(failed ? 'failed' : 'succeeded', failed ? this.firstError() : null);
  }

  private firstError(): RolloutState['error'] {
    for (const n of this.spec.nodes) {
      const e = this.errors.get(n);
      if (e) return e;
    }
    return null;
  }

  private finish(status: RolloutState['status'], error: RolloutState['error']): RolloutState {
    this.status = status;
    this.error = error;
    this.ended = this.deps.clock.nowMs();
    this.deps.journal.append({ v: 1, at: iso(this.ended), runId: this.runId, cluster: this.deps.clusterId, holder: this.deps.holder, type: 'run-end', status });
    const state = this.state();
    this.deps.emit({ topic: 'rollout', payload: state });
    return state;
  }
}
