import { randomUUID } from 'node:crypto';
import { ApiError, toErrorInfo, type ApiErrorInfo } from '../api/errors.ts';
import type { PipelineStep, RolloutNodeState, RolloutOptions, RolloutState, UpdateOptions } from '../api/pipeline.ts';
import { pipelineSteps } from '../api/pipeline.ts';
import type { AttentionNote } from '../api/notes.ts';
import { ClusterLock, DEFAULT_DOMAIN_LABEL, SharedFluoHold, domainOf, lockWaitLimitMs } from './cluster-lock.ts';
import { rolloutEtaMs } from './eta.ts';
import type { NodeRecord } from './journal.ts';
import { keepClaimsAlive } from './node-claim.ts';
import { cleanUpAfter, preflightStep, prepareNode, rebootNode } from './node-run.ts';
import { describeWindow, isInWindow, nextWindowOpening } from './reboot-window.ts';
import { RunControl, recordAttention, type NodeCtx, type PipelineDeps } from './run-context.ts';

export type RunKind = 'single' | 'rollout';
export interface RunSpec {
  kind: RunKind;
  nodes: string[];
  options: UpdateOptions & Partial<Pick<RolloutOptions, 'maxParallelDownloads' | 'maxUnavailable' | 'failureDomainLabel' | 'canary' | 'rebootWindow' | 'healthGate' | 'stopOnFailure' | 'order'>>;
  /** Resume: records from the journal/annotations, so cordon ownership and originals carry over. */
  inherited?: Map<string, NodeRecord>;
  runId?: string;
  /** Roll the nodes back to the release on their other USR partition instead of updating them. */
  action?: 'rollback' | 'reboot';
  /** `reboot`: reboot the Ubuntu node even without /var/run/reboot-required. */
  forced?: boolean;
  /** Update to exactly this release (flatcar-update --to-version) instead of the channel's newest. */
  toVersion?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function newRunId(nowMs: number): string {
  return `${new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomUUID().slice(0, 8)}`;
}

const freshRecord = (node: string, spec: RunSpec): NodeRecord => ({
  node,
  ...(spec.action ? { action: spec.action } : {}),
  ...(spec.forced ? { forced: true } : {}),
  ...(spec.toVersion ? { pinned: spec.toVersion } : {}),
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

/** Everything the Run knows about one node: the journaled record plus what only the live view shows. */
interface NodeState {
  rec: NodeRecord;
  ctx: NodeCtx | null;
  downloadProgress: number | null;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  stepStartedAtMs: number | null;
  error: ApiErrorInfo | null;
  /** What the operator must still do on this node (a cleanup that failed, a decision only they can make). */
  notes: AttentionNote[];
}

const finalPhases: ReadonlySet<NodeRecord['phase']> = new Set(['done', 'current', 'failed', 'needs-attention', 'skipped']);
const activeStatuses: ReadonlySet<RolloutState['status']> = new Set(['running', 'waiting-for-lock', 'waiting-for-window', 'paused']);

/** What the download phase hands to the serial phase for one node. */
type Prepared = 'need-reboot' | 'current' | 'skipped' | Error;

/** How many nodes' pre-flight checks run at once (SSH reads and API lists; the SSH pool caps its sockets itself). */
const PREFLIGHT_FAN_OUT = 8;

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
 * (bounded), then lock → cordon → drain → reboot → verify → uncordon → release for at most K nodes at a time
 * (one by default; each of K turns takes its own slot of the cluster lock, never two in one failure domain),
 * honouring the reboot window, pause/resume/cancel between steps and stop-on-first-failure.
 */
export class Run {
  readonly runId: string;
  readonly control = new RunControl();
  readonly done: Promise<RolloutState>;
  private readonly nodes = new Map<string, NodeState>();
  private status: RolloutState['status'] = 'pending';
  private error: RolloutState['error'] = null;
  private anyFailed = false;
  /** Nodes whose turn ended but whose restore still runs; the run ends after them. */
  private readonly finishing: Promise<void>[] = [];
  private readonly started: number;
  private ended: number | null = null;
  /** Each node's failure domain once the turns begin with K > 1 (for the ETA; until then each its own). */
  private domains = new Map<string, string | null>();
  /** How many of the K turns have a node of each failure domain in hand (taken, its lock not yet released). */
  private readonly inHand = new Map<string, number>();

  constructor(private readonly deps: PipelineDeps, private readonly spec: RunSpec) {
    if ((spec.options.maxUnavailable ?? 1) > 1 && !deps.cluster.slotStores) throw new ApiError('invalid-request', 'This cluster connection cannot hold the cluster lock for more than one node at a time');
    this.started = deps.clock.nowMs();
    this.runId = spec.runId ?? newRunId(this.started);
    for (const n of spec.nodes) {
      const inherited = spec.inherited?.get(n);
      this.nodes.set(n, { rec: inherited ? { ...inherited } : freshRecord(n, spec), ctx: null, downloadProgress: null, startedAtMs: null, finishedAtMs: null, stepStartedAtMs: null, error: null, notes: [] });
    }
    this.control.onChange = () => this.publish();
    deps.journal.append({ v: 1, at: iso(this.started), runId: this.runId, cluster: deps.clusterId, holder: deps.holder, type: 'run-start', options: { kind: spec.kind, nodes: spec.nodes, ...(spec.action ? { action: spec.action } : {}), ...(spec.toVersion ? { toVersion: spec.toVersion } : {}), ...spec.options } });
    this.done = this.execute();
  }

  state(): RolloutState {
    const now = this.deps.clock.nowMs();
    const nodes: RolloutNodeState[] = this.spec.nodes.map((n) => {
      const s = this.node(n);
      return {
        node: n,
        phase: s.rec.phase,
        step: s.rec.step,
        fromVersion: s.rec.fromVersion,
        toVersion: s.rec.toVersion,
        downloadProgress: s.downloadProgress,
        startedAt: isoOrNull(s.startedAtMs),
        finishedAt: isoOrNull(s.finishedAtMs),
        etaSeconds: this.nodeEtaMs(s, now),
        error: s.error,
        attention: s.notes.map((note) => note.message),
        notes: [...s.notes],
      };
    });
    const open = [...this.nodes.values()].filter((s) => !finalPhases.has(s.rec.phase));
    const etaMs = activeStatuses.has(this.status)
      ? rolloutEtaMs(
          this.deps.durations,
          open.map((s) => ({ remainingSteps: this.remainingSteps(s), elapsedInCurrentMs: this.elapsed(s, now), serial: false, domain: this.domains.get(s.rec.node) ?? null })),
          this.spec.options.maxUnavailable ?? 1,
        )
      : null;
    return {
      runId: this.runId,
      cluster: this.deps.clusterId,
      kind: this.spec.kind,
      status: this.shownStatus(),
      startedAt: iso(this.started),
      finishedAt: isoOrNull(this.ended),
      etaSeconds: etaMs === null ? null : Math.round(etaMs / 1000),
      nodes,
      error: this.error,
      waitingFor: this.control.waitingFor,
      waiting: this.control.waiting,
    };
  }

  /** A cancel shows at once as "cancelling" until the run has put back what it changed. */
  private shownStatus(): RolloutState['status'] {
    if (this.ended === null && this.control.isCancelled) return 'cancelling';
    return this.control.isPaused && this.status === 'running' ? 'paused' : this.status;
  }

  private node(n: string): NodeState {
    const s = this.nodes.get(n);
    if (!s) throw new RangeError(`node ${n} is not part of run ${this.runId}`);
    return s;
  }

  private remainingSteps(s: NodeState): PipelineStep[] {
    const from = s.rec.step ? pipelineSteps.indexOf(s.rec.step) : 0;
    const steps = pipelineSteps.slice(from).filter((step) => step !== 'preflight' || s.rec.step === 'preflight');
    return steps.filter((step) => step !== 'health-gate' || this.spec.options.healthGate);
  }

  private elapsed(s: NodeState, now: number): number {
    return s.stepStartedAtMs === null ? 0 : now - s.stepStartedAtMs;
  }

  private nodeEtaMs(s: NodeState, now: number): number | null {
    if (finalPhases.has(s.rec.phase)) return 0;
    const ms = this.deps.durations.remaining(this.remainingSteps(s), this.elapsed(s, now));
    return ms === null ? null : Math.round(ms / 1000);
  }

  private publish(): void {
    this.deps.emit({ topic: 'rollout', payload: this.state() });
  }

  /** The one context every step of a node runs with; its callbacks keep the node's state current. */
  private ctx(node: string): NodeCtx {
    const s = this.node(node);
    if (s.ctx) return s.ctx;
    let lastStep = s.rec.step;
    const ctx: NodeCtx = {
      deps: this.deps,
      runId: this.runId,
      node,
      options: this.spec.options,
      rec: s.rec,
      ops: this.deps.flatcarNode(node, this.runId),
      control: this.control,
      onRecord: (r, progress) => {
        if (r.step !== lastStep) {
          lastStep = r.step;
          s.stepStartedAtMs = this.deps.clock.nowMs();
        }
        if (progress !== undefined) s.downloadProgress = progress;
        if (finalPhases.has(s.rec.phase)) s.finishedAtMs ??= this.deps.clock.nowMs();
        this.publish();
      },
      needsAttention: async (step, note) => {
        s.notes.push(note);
        await recordAttention(ctx, step, note, s.notes);
      },
    };
    s.ctx = ctx;
    return ctx;
  }

  private fail(node: string, err: unknown): void {
    const s = this.node(node);
    s.error ??= toErrorInfo(err);
  }

  private get stopping(): boolean {
    return this.control.isCancelled || (this.anyFailed && (this.spec.options.stopOnFailure ?? true));
  }

  /** A resumed node whose reboot was already issued (its boot ID was journaled before `systemctl reboot`). */
  private afterReboot(n: string): boolean {
    const inherited = this.spec.inherited?.get(n);
    return ['reboot', 'verify'].includes(inherited?.step ?? '') && inherited?.bootIdBefore !== null;
  }

  private async execute(): Promise<RolloutState> {
    this.status = 'running';
    this.publish();
    const passed = await this.preflightAll();
    const resumedAfterReboot = this.spec.nodes.filter((n) => this.afterReboot(n));
    if (this.stopping) {
      const why = this.control.isCancelled
        ? new ApiError('cancelled', 'The run was cancelled before this node', {}, { code: 'run.cancelledBefore' })
        : new ApiError('cancelled', 'The run stopped at a pre-flight failure before this node', {}, { code: 'run.stoppedAtPreflight' });
      for (const s of this.nodes.values()) {
        if (finalPhases.has(s.rec.phase) || this.afterReboot(s.rec.node)) continue;
        s.rec.phase = 'skipped';
        this.fail(s.rec.node, why);
      }
      if (resumedAfterReboot.length === 0) return this.finish();
      // a node already rebooted must still be seen back and uncordoned, whatever else failed
      this.anyFailed = false;
    }
    // the claims this run takes stay renewed until every node is done with (a cancel still cleans up under them)
    const alive = new AbortController();
    const renewing = keepClaimsAlive(this.deps, this.runId, this.spec.nodes, this.spec.options, alive.signal);
    try {
      const downloads = this.startDownloads(passed);
      await this.rebootInTurns(downloads);
      await Promise.allSettled(downloads.values());
      await Promise.all(this.finishing);
    } finally {
      alive.abort();
      await renewing;
    }
    return this.finish();
  }

  /** Phase 1: pre-flight everywhere first (it only reads: several nodes at once), so blockers are listed before any node changes. */
  private async preflightAll(): Promise<string[]> {
    const nodes = this.spec.nodes.filter((x) => !this.afterReboot(x));
    const checked = boundedStart(nodes, PREFLIGHT_FAN_OUT, async (n) => {
      this.node(n).startedAtMs = this.deps.clock.nowMs();
      try {
        await preflightStep(this.ctx(n));
        return true;
      } catch (err) {
        this.fail(n, err);
        await cleanUpAfter(this.ctx(n), null, err);
        this.anyFailed = true;
        return false;
      }
    });
    const passed: string[] = [];
    for (const n of nodes) if (await checked.get(n)) passed.push(n);
    return passed;
  }

  /** Phase 2: downloads in parallel (bounded); each promise says what the serial phase does with its node. */
  private startDownloads(nodes: readonly string[]): Map<string, Promise<Prepared>> {
    const limit = Math.max(1, this.spec.options.maxParallelDownloads ?? 3);
    return boundedStart(nodes, limit, async (n): Promise<Prepared> => {
      if (this.stopping) return 'skipped';
      try {
        return await prepareNode(this.ctx(n));
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    });
  }

  /**
   * Phase 3: lock → … → release in K turns running side by side (one by default), each taking the next node in
   * the order given; each turn holds its own slot of the cluster lock.
   */
  private async rebootInTurns(downloads: Map<string, Promise<Prepared>>): Promise<void> {
    const k = Math.min(this.spec.options.maxUnavailable ?? 1, this.spec.nodes.length);
    const limits = { waitLimitMs: lockWaitLimitMs(this.spec.options), override: this.spec.options.outOfServiceOk };
    const stores = this.deps.cluster.slotStores;
    const fluo = k > 1 ? new SharedFluoHold(this.deps) : null;
    if (k > 1) await this.readDomains();
    const lockFor = () =>
      fluo && stores
        ? new ClusterLock(this.deps, this.spec.options.leaseDurationSeconds, { ...limits, slots: { count: k, domainLabel: this.spec.options.failureDomainLabel ?? DEFAULT_DOMAIN_LABEL, stores, fluo: fluo.turn() } })
        : new ClusterLock(this.deps, this.spec.options.leaseDurationSeconds, limits);
    const queue = [...this.spec.nodes];
    // a canary goes alone: the others start only once it is back, uncordoned and through its health gate
    if (this.spec.options.canary && k > 1) {
      await this.takeTurns(queue.splice(0, 1), downloads, lockFor());
      // the canary is finished, update-engine put back included, before any other node starts
      await Promise.all(this.finishing);
    }
    await Promise.all(Array.from({ length: k }, () => this.takeTurns(queue, downloads, lockFor())));
  }

  /** The nodes' failure domains for the ETA; a failed read leaves each node a domain of its own (the lock reads again). */
  private async readDomains(): Promise<void> {
    const label = this.spec.options.failureDomainLabel ?? DEFAULT_DOMAIN_LABEL;
    const nodes = await this.deps.cluster.nodes.listNodes().catch(() => []);
    this.domains = new Map(nodes.map((n) => [n.metadata?.name ?? '', domainOf(n, label)]));
  }

  /** One turn: the next node of `queue` through lock → … → release with `lock`, until the queue is empty. */
  private async takeTurns(queue: string[], downloads: Map<string, Promise<Prepared>>, lock: ClusterLock): Promise<void> {
    for (let n = this.nextFor(queue, null); n !== undefined; n = this.nextFor(queue, n)) {
      const resumed = this.afterReboot(n);
      const pending = downloads.get(n);
      if (!resumed && !pending) continue;
      const prepared: Prepared = resumed ? 'need-reboot' : await (pending as Promise<Prepared>);
      if (prepared === 'current') continue;
      const ctx = this.ctx(n);
      if (prepared instanceof Error) {
        await this.stopNode(ctx, null, prepared);
        continue;
      }
      if (prepared === 'skipped' || this.stopping) {
        const why = this.control.isCancelled
          ? new ApiError('cancelled', 'The run was cancelled before this node', {}, { code: 'run.cancelledBefore' })
          : new ApiError('cancelled', 'The run stopped at an earlier failure before this node', {}, { code: 'run.stoppedAtFailure' });
        this.fail(n, why);
        await cleanUpAfter(ctx, null, why);
        continue;
      }
      try {
        if (this.control.isCancelled) throw new ApiError('cancelled', 'The run was cancelled by the operator');
        await this.waitForWindow();
        await this.control.checkpoint();
        const { outcome, finishing } = await rebootNode(ctx, lock, this.spec.options.healthGate ?? null, resumed ? 'verify' : 'start');
        // the turn's lock may already hold its next node: a failure while finishing this one must not release it
        this.finishing.push(finishing.catch((err: unknown) => this.stopNode(ctx, null, err)));
        // the rollout goes on with the next node, but a skipped node is not an updated one
        if (outcome === 'skipped') this.fail(n, new ApiError('drain-timeout', `${n} was not updated: its drain did not finish and the policy said skip`, { node: n }, { code: 'drain.skippedByPolicy' }));
      } catch (err) {
        await this.stopNode(ctx, lock, err);
      }
    }
  }

  /**
   * A turn's next node, once it is done with `previous`: the first in order, except that an order which is not zone
   * after zone or MachineDeployment after MachineDeployment passes over nodes of a failure domain another turn has
   * in hand (taking one would only wait for the lock, which allows one node per domain).
   */
  private nextFor(queue: string[], previous: string | null): string | undefined {
    const count = (n: string, by: number) => {
      const d = this.domains.get(n);
      if (d != null) this.inHand.set(d, (this.inHand.get(d) ?? 0) + by);
    };
    if (previous !== null) count(previous, -1);
    const strict = this.spec.options.order === 'by-zone' || this.spec.options.order === 'by-machine-deployment';
    const free = strict ? -1 : queue.findIndex((n) => !this.inHand.get(this.domains.get(n) ?? ''));
    const [next] = queue.splice(Math.max(0, free), 1);
    if (next !== undefined) count(next, +1);
    return next;
  }

  /** A node that failed or was cancelled: record why (a cancel is not a failure) and clean up after it. */
  private async stopNode(ctx: NodeCtx, lock: ClusterLock | null, err: unknown): Promise<void> {
    // A cancel is not a failure, but the node still shows why it stopped.
    this.fail(ctx.node, err);
    if (toErrorInfo(err).kind !== 'cancelled') this.anyFailed = true;
    await cleanUpAfter(ctx, lock, err);
  }

  /** Waits until the reboot window is open, waking at its opening (and at least every minute to show the wait). */
  private async waitForWindow(): Promise<void> {
    const w = this.spec.options.rebootWindow;
    if (!w) return;
    const clock = this.deps.clock;
    for (let now = new Date(clock.nowMs()); !isInWindow(w, now); now = new Date(clock.nowMs())) {
      const opens = nextWindowOpening(w, now);
      this.status = 'waiting-for-window';
      const params = { days: w.days.join(','), start: w.start, minutes: w.lengthMinutes, timeZone: w.timeZone, opens: opens.toISOString() };
      this.control.setWaiting(`the reboot window (${describeWindow(w)}); opens ${opens.toISOString()}`, { code: 'rebootWindow', params });
      await clock.sleep(Math.min(60_000, Math.max(1000, opens.getTime() - now.getTime())), this.control.signal);
    }
    this.status = 'running';
    this.control.setWaiting(null);
  }

  /** Phase 4: the run's verdict. A node that needs attention is not a success, whatever else went well. */
  private finish(): RolloutState {
    const all = [...this.nodes.values()];
    const notUpdated = all.some((s) => s.rec.phase === 'needs-attention' || s.error !== null);
    const status: RolloutState['status'] = this.control.isCancelled ? 'cancelled' : this.anyFailed || notUpdated ? 'failed' : 'succeeded';
    this.status = status;
    this.error = status === 'failed' ? (all.find((s) => s.error && s.error.kind !== 'cancelled')?.error ?? this.attentionError(all)) : null;
    this.ended = this.deps.clock.nowMs();
    this.deps.journal.append({ v: 1, at: iso(this.ended), runId: this.runId, cluster: this.deps.clusterId, holder: this.deps.holder, type: 'run-end', status });
    const state = this.state();
    this.deps.emit({ topic: 'rollout', payload: state });
    return state;
  }

  private attentionError(all: readonly NodeState[]): ApiErrorInfo | null {
    const s = all.find((x) => x.notes.length > 0);
    if (!s) return null;
    const reasons = s.notes.map((note) => note.message).join('; ');
    return toErrorInfo(new ApiError('needs-attention', `${s.rec.node} needs attention: ${reasons}`, { node: s.rec.node }, { code: 'run.nodeNeedsAttention', params: { count: s.notes.length } }));
  }
}
