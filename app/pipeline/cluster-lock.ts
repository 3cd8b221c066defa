import type { V1Node } from '@kubernetes/client-node';
import { ApiError } from '../api/errors.ts';
import type { UpdateOptions } from '../api/pipeline.ts';
import { FluoHold } from '../cluster/fluo-guard.ts';
import { LeaseLock, keepRenewed, type HeldLease } from '../cluster/lease-lock.ts';
import { fluoBusyReason, readMark } from '../cluster/node-annotations.ts';
import type { PipelineDeps, RunControl } from './run-context.ts';

/** Steps during which a node is out of service; another run's node in one of them means "wait". */
const DISRUPTIVE_STEPS = new Set(['cordon', 'drain', 'reboot', 'verify']);

/**
 * What another node means for our next disruptive step: `wait` (it will be back by itself), `stop` (only the
 * operator can bring it back: waiting would be forever), or nothing.
 */
export type ClusterVerdict = { wait: string } | { stop: string } | null;

export interface ClusterView {
  nodes: readonly V1Node[];
  self: string;
  runId: string;
  /** The Lease holder that still renews it, or null when it is free or its holder went silent. */
  liveHolder: string | null;
  /** Nodes the operator explicitly accepts as out of service for this run. */
  override: readonly string[];
}

const outOfService = (n: V1Node) => n.spec?.unschedulable === true || n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True';

/**
 * A node counts against "one node out of service at a time" for every flatdeck instance while the Node itself
 * says so: FLUO is rebooting it, a live run has it in a disruptive step, a run left it needing attention while
 * cordoned or down (failed drain, rollback, never came back), or a run died with it mid-cycle.
 */
export function judgeCluster(view: ClusterView): ClusterVerdict {
  for (const n of view.nodes) {
    const name = n.metadata?.name ?? '';
    if (name === view.self || view.override.includes(name)) continue;
    const fluo = fluoBusyReason(n);
    if (fluo) return { wait: `FLUO is rebooting node ${name} (${fluo})` };
    const mark = readMark(n);
    if (!mark) continue;
    const resolve = `resolve it and run \`flatdeck resume --hand-back ${mark.run}\`, or pass --out-of-service-ok ${name} to go on anyway`;
    if (mark.attention && outOfService(n)) {
      return { stop: `node ${name} is out of service and needs attention (${mark.attention}; left by run ${mark.run} of ${mark.instance}): ${resolve}` };
    }
    if (mark.run === view.runId || !DISRUPTIVE_STEPS.has(mark.step)) continue;
    if (mark.instance === view.liveHolder) return { wait: `node ${name} is in step ${mark.step} of flatdeck run ${mark.run} by ${mark.instance} (since ${mark.since})` };
    return {
      stop: `node ${name} was left in step ${mark.step} by flatdeck run ${mark.run} of ${mark.instance}, which no longer holds the cluster update lock: continue it with \`flatdeck resume ${mark.run}\` or ${resolve}`,
    };
  }
  return null;
}

/** How long to wait for a live holder before giving up: one whole node cycle of theirs, with margin. */
export function lockWaitLimitMs(o: Pick<UpdateOptions, 'drainTimeoutSeconds' | 'rebootTimeoutSeconds' | 'settleSeconds' | 'restoreAfterBootSeconds'>): number {
  return (o.drainTimeoutSeconds + o.rebootTimeoutSeconds + o.settleSeconds + o.restoreAfterBootSeconds + 300) * 1000;
}

const seconds = (ms: number) => `${Math.max(0, Math.ceil(ms / 1000))} s`;
/** A countdown in steps of 5 s: the waiting line changes (and the CLI prints it) every 5 s, not every second. */
const roughly = (ms: number) => `${Math.max(0, Math.ceil(ms / 5000) * 5)} s`;

/**
 * The serialization point of the pipeline: one cluster-wide Lease, plus waiting while FLUO or another
 * flatdeck run has a node out of service. Held from the lock step until release for one node.
 */
export class ClusterLock {
  private readonly lease: LeaseLock;
  private held: HeldLease | null = null;
  /** FLUO may start no reboot of its own while we hold the lock (app/cluster/fluo-guard.ts). */
  private readonly fluo: FluoHold;
  private lostReason: string | null = null;

  constructor(
    private readonly deps: PipelineDeps,
    leaseDurationSeconds: number,
    private readonly limits: { waitLimitMs: number; override: readonly string[] } = { waitLimitMs: 3_600_000, override: [] },
  ) {
    this.lease = new LeaseLock({
      store: deps.cluster.leaseStore,
      namespace: deps.lock.namespace,
      name: deps.lock.name,
      identity: deps.holder,
      leaseDurationSeconds,
      nowMs: () => deps.clock.nowMs(),
    });
    // A failed pass leaves the previous pauses in place and is repeated a second later.
    this.fluo = new FluoHold({ nodes: deps.cluster.nodes, holder: deps.holder, intervalMs: 1000, clock: deps.clock, onError: () => undefined });
  }

  get leaseLock(): LeaseLock {
    return this.lease;
  }

  private get lockName(): string {
    return `${this.deps.lock.namespace}/${this.deps.lock.name}`;
  }

  /** The cluster as the Nodes and the Lease show it now; also says whom the Lease waits for, with a countdown. */
  private async look(self: string, runId: string): Promise<{ verdict: ClusterVerdict; leaseWait: string | null }> {
    const lease = await this.lease.inspect();
    const foreign = lease && lease.holder.identity !== this.deps.holder ? lease : null;
    const liveHolder = lease && lease.expiresInMs > 0 ? lease.holder.identity : null;
    const verdict = judgeCluster({ nodes: await this.deps.cluster.nodes.listNodes(), self, runId, liveHolder, override: this.limits.override });
    const leaseWait = foreign && foreign.expiresInMs > 0
      ? `the cluster update lock ${this.lockName} is held by ${foreign.holder.identity} (no renewal seen for ${roughly(foreign.silentForMs)}; it counts as abandoned in ${roughly(foreign.expiresInMs)} unless renewed)`
      : null;
    return { verdict, leaseWait };
  }

  private giveUp(self: string, waited: string): ApiError {
    return new ApiError('lock-held', `Gave up after ${seconds(this.limits.waitLimitMs)} waiting: ${waited}. ${self} was not cordoned.`, { node: self });
  }

  /** Waits for the Lease and a quiet cluster; `control` shows what it waits for and can cancel the wait. */
  async acquire(self: string, runId: string, control: RunControl, retryMs = 1000): Promise<void> {
    const deadline = this.deps.clock.nowMs() + this.limits.waitLimitMs;
    for (;;) {
      await control.checkpoint();
      const { verdict, leaseWait } = await this.look(self, runId);
      if (verdict && 'stop' in verdict) throw new ApiError('needs-attention', `Not rebooting ${self}: ${verdict.stop}`, { node: self });
      let waiting = verdict?.wait ?? leaseWait;
      if (!waiting) {
        if (await this.lease.tryAcquireOrRenew()) {
          await this.fluo.start(self).catch(async (err: unknown) => {
            await this.lease.release();
            throw err;
          });
          const after = await this.look(self, runId);
          if (!after.verdict) break;
          await this.fluo.stop();
          await this.lease.release();
          if ('stop' in after.verdict) throw new ApiError('needs-attention', `Not rebooting ${self}: ${after.verdict.stop}`, { node: self });
          waiting = after.verdict.wait;
        } else waiting = `the cluster update lock ${this.lockName} is held by ${this.lease.holder()?.identity ?? 'someone else'}`;
      }
      if (this.deps.clock.nowMs() > deadline) throw this.giveUp(self, waiting);
      control.setWaiting(waiting);
      await this.deps.clock.sleep(retryMs, control.signal);
    }
    control.setWaiting(null);
    this.lostReason = null;
    this.held = keepRenewed(this.lease, (reason) => (this.lostReason = reason), this.deps.clock);
  }

  /** Ownership re-check right before a destructive action (client-go gives no fencing). */
  async confirm(action: string): Promise<void> {
    if (this.lostReason || !(await this.lease.confirmHeld())) {
      throw new ApiError('lock-lost', `Not ${action}: ${this.lostReason ?? 'the cluster update lock is no longer ours'}`, {
        holder: this.lease.holder()?.identity ?? null,
      });
    }
  }

  /** Waits (holding the lock) while FLUO or another run has a node out of service, e.g. right before a reboot. */
  async waitQuiet(self: string, runId: string, control: RunControl, timeoutMs: number, retryMs = 1000): Promise<void> {
    const deadline = this.deps.clock.nowMs() + timeoutMs;
    for (;;) {
      const { verdict } = await this.look(self, runId);
      if (!verdict) break;
      if ('stop' in verdict) throw new ApiError('needs-attention', `Not rebooting ${self}: ${verdict.stop}`, { node: self });
      if (this.deps.clock.nowMs() > deadline) throw new ApiError('lock-held', `Gave up waiting: ${verdict.wait}`, { node: self });
      control.setWaiting(verdict.wait);
      await this.deps.clock.sleep(retryMs, control.signal);
    }
    control.setWaiting(null);
  }

  async release(): Promise<void> {
    await this.held?.stop();
    this.held = null;
    try {
      await this.fluo.stop();
    } finally {
      await this.lease.release();
    }
  }
}
