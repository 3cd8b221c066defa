import type { V1Node } from '@kubernetes/client-node';
import { ApiError } from '../api/errors.ts';
import { LeaseLock, keepRenewed, type HeldLease } from '../cluster/lease-lock.ts';
import { fluoBusyReason, readMark } from '../cluster/node-annotations.ts';
import type { PipelineDeps, RunControl } from './run-context.ts';

/** Steps during which a node is out of service; another run's node in one of them means "wait". */
const DISRUPTIVE_STEPS = new Set(['cordon', 'drain', 'reboot', 'verify']);

/** Why another node keeps us from starting a disruptive step right now, or null. */
export function clusterBusyReason(nodes: readonly V1Node[], self: string, runId: string): string | null {
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    if (name === self) continue;
    const fluo = fluoBusyReason(n);
    if (fluo) return `FLUO is rebooting node ${name} (${fluo})`;
    const mark = readMark(n);
    if (mark && mark.run !== runId && !mark.attention && DISRUPTIVE_STEPS.has(mark.step)) {
      return `node ${name} is in step ${mark.step} of flatdeck run ${mark.run} by ${mark.instance} (since ${mark.since})`;
    }
  }
  return null;
}

/**
 * The serialization point of the pipeline: one cluster-wide Lease, plus waiting while FLUO or another
 * flatdeck run has a node out of service. Held from the lock step until release for one node.
 */
export class ClusterLock {
  private readonly lease: LeaseLock;
  private held: HeldLease | null = null;
  private lostReason: string | null = null;

  constructor(private readonly deps: PipelineDeps, leaseDurationSeconds: number) {
    this.lease = new LeaseLock({
      store: deps.cluster.leaseStore,
      namespace: deps.lock.namespace,
      name: deps.lock.name,
      identity: deps.holder,
      leaseDurationSeconds,
      nowMs: () => deps.clock.nowMs(),
    });
  }

  get leaseLock(): LeaseLock {
    return this.lease;
  }

  private async busy(self: string, runId: string): Promise<string | null> {
    return clusterBusyReason(await this.deps.cluster.nodes.listNodes(), self, runId);
  }

  /** Waits for the Lease and a quiet cluster; `control` shows what it waits for and can cancel the wait. */
  async acquire(self: string, runId: string, control: RunControl, retryMs = 1000): Promise<void> {
    for (;;) {
      await control.checkpoint();
      const busy = await this.busy(self, runId);
      if (!busy) {
        if (await this.lease.tryAcquireOrRenew()) {
          const after = await this.busy(self, runId);
          if (!after) break;
          await this.lease.release();
          control.setWaiting(after);
        } else {
          const h = this.lease.holder();
          control.setWaiting(`the cluster update lock ${this.deps.lock.namespace}/${this.deps.lock.name} is held by ${h?.identity ?? 'someone else'}`);
        }
      } else control.setWaiting(busy);
      await this.deps.clock.sleep(retryMs, control.signal);
    }
    control.setWaiting(null);
    this.lostReason = null;
    this.held = keepRenewed(this.lease, (reason) => (this.lostReason = reason), () => this.deps.clock.nowMs());
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
      const busy = await this.busy(self, runId);
      if (!busy) break;
      if (this.deps.clock.nowMs() > deadline) throw new ApiError('lock-held', `Gave up waiting: ${busy}`, { node: self });
      control.setWaiting(busy);
      await this.deps.clock.sleep(retryMs, control.signal);
    }
    control.setWaiting(null);
  }

  async release(): Promise<void> {
    await this.held?.stop();
    this.held = null;
    await this.lease.release();
  }
}
