import type { V1Node } from '@kubernetes/client-node';
import { ApiError } from '../api/errors.ts';
import type { LockReason, WaitingNote } from '../api/notes.ts';
import type { UpdateOptions } from '../api/pipeline.ts';
import { FluoHold } from '../cluster/fluo-guard.ts';
import { LeaseLock, keepRenewed, type HeldLease, type LeaseStore } from '../cluster/lease-lock.ts';
import { LeaseSlots, type SlotStores, type SlotView } from '../cluster/lease-slots.ts';
import { fluoBusyReason, readMark } from '../cluster/node-annotations.ts';
import type { PipelineDeps, RunControl } from './run-context.ts';
import { pollUntil } from '../support/retry.ts';

/** Steps during which a node is out of service; another run's node in one of them means "wait". */
const DISRUPTIVE_STEPS = new Set(['cordon', 'drain', 'reboot', 'verify']);

/** What the lock waits for: in English (`wait`, RolloutState.waitingFor) and as a code the UI words (`note`). */
export interface LockWait {
  wait: string;
  note: WaitingNote;
}

/**
 * What another node means for our next disruptive step: `wait` (it will be back by itself), `stop` (only the
 * operator can bring it back: waiting would be forever), or nothing.
 */
export type ClusterVerdict = LockWait | { stop: string } | null;

export interface ClusterView {
  nodes: readonly V1Node[];
  self: string;
  runId: string;
  /** Holders of the lock's Leases that still renew them (none when free or their holders went silent). */
  liveHolders: readonly string[];
  /** Nodes the operator explicitly accepts as out of service for this run. */
  override: readonly string[];
  /** K: how many nodes may be out of service at once (default 1). */
  maxUnavailable?: number;
  /** The Node label naming a node's failure domain; no two nodes of one domain are out of service at once. */
  domainLabel?: string;
  /**
   * Live slots of the lock (K > 1 instances) with the node and domain recorded on them; node null: a one-holder
   * instance holds the base Lease for a node it has not named yet.
   */
  claims?: readonly { node: string | null; domain: string | null; holder: string }[];
}

export const DEFAULT_DOMAIN_LABEL = 'topology.kubernetes.io/zone';

/** A node's failure domain: its label value; a node without the label is a domain of its own (null). */
export function domainOf(node: V1Node | undefined, label: string): string | null {
  return node?.metadata?.labels?.[label] || null;
}

const outOfService = (n: V1Node) => n.spec?.unschedulable === true || n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True';

/**
 * A node counts against "at most K nodes out of service at once, never two in one failure domain" for every
 * flatdeck instance while the Node itself says so: FLUO is rebooting it, a live run has it in a disruptive step
 * or holds a slot of the lock for it, a run left it needing attention while cordoned or down (failed drain,
 * rollback, never came back), or a run died with it mid-cycle. The last two stop the run: only the operator can
 * bring such a node back.
 */
export function judgeCluster(view: ClusterView): ClusterVerdict {
  const label = view.domainLabel ?? DEFAULT_DOMAIN_LABEL;
  const busy = new Map<string, { domain: string | null; why: string; note: LockReason }>();
  for (const n of view.nodes) {
    const name = n.metadata?.name ?? '';
    if (name === view.self || view.override.includes(name)) continue;
    const fluo = fluoBusyReason(n);
    if (fluo) busy.set(name, { domain: domainOf(n, label), why: `FLUO is rebooting node ${name} (${fluo})`, note: { code: 'fluoRebooting', params: { node: name, state: fluo } } });
    const mark = readMark(n);
    if (!mark) continue;
    const resolve = `resolve it and run \`flatdeck resume --hand-back ${mark.run}\`, or pass --out-of-service-ok ${name} to go on anyway`;
    if (mark.attention && outOfService(n)) {
      return { stop: `node ${name} is out of service and needs attention (${mark.attention}; left by run ${mark.run} of ${mark.instance}): ${resolve}` };
    }
    if (mark.run === view.runId || !DISRUPTIVE_STEPS.has(mark.step)) continue;
    if (!view.liveHolders.includes(mark.instance)) {
      return {
        stop: `node ${name} was left in step ${mark.step} by flatdeck run ${mark.run} of ${mark.instance}, which no longer holds the cluster update lock: continue it with \`flatdeck resume ${mark.run}\` or ${resolve}`,
      };
    }
    busy.set(name, {
      domain: domainOf(n, label),
      why: `node ${name} is in step ${mark.step} of flatdeck run ${mark.run} by ${mark.instance} (since ${mark.since})`,
      note: { code: 'nodeInStep', params: { node: name, step: mark.step, run: mark.run, instance: mark.instance, since: mark.since } },
    });
  }
  for (const c of view.claims ?? []) {
    const key = c.node ?? `a node of ${c.holder}`;
    if (c.node === view.self || view.override.includes(key) || busy.has(key)) continue;
    busy.set(key, {
      domain: c.domain,
      why: `${c.node ? `node ${c.node}` : `${c.holder}`} holds a slot of the cluster update lock${c.node ? ` (${c.holder})` : ''}`,
      note: c.node ? { code: 'nodeHoldsSlot', params: { node: c.node, holder: c.holder } } : { code: 'holderHoldsSlot', params: { holder: c.holder } },
    });
  }
  const k = view.maxUnavailable ?? 1;
  const reasons = [...busy.values()];
  const [first] = reasons;
  if (first && k === 1) return { wait: first.why, note: first.note };
  if (reasons.length >= k) {
    const wait = `${reasons.length} nodes are out of service, at most ${k} at once: ${reasons.map((r) => r.why).join('; ')}`;
    return { wait, note: { code: 'lockFull', params: { count: reasons.length, max: k }, parts: reasons.map((r) => r.note) } };
  }
  const mine = domainOf(view.nodes.find((n) => n.metadata?.name === view.self), label);
  const neighbour = mine === null ? undefined : reasons.find((r) => r.domain === mine);
  if (!neighbour) return null;
  return { wait: `${neighbour.why}, in the same failure domain (${label}=${mine})`, note: { code: 'lockSameDomain', params: { label, value: mine }, parts: [neighbour.note] } };
}

/** How long to wait for a live holder before giving up: one whole node cycle of theirs, with margin. */
export function lockWaitLimitMs(o: Pick<UpdateOptions, 'drainTimeoutSeconds' | 'rebootTimeoutSeconds' | 'settleSeconds' | 'restoreAfterBootSeconds'>): number {
  return (o.drainTimeoutSeconds + o.rebootTimeoutSeconds + o.settleSeconds + o.restoreAfterBootSeconds + 300) * 1000;
}

const seconds = (ms: number) => `${Math.max(0, Math.ceil(ms / 1000))} s`;
/** A countdown in steps of 5 s: the waiting line changes (and the CLI prints it) every 5 s, not every second. */
const roughSeconds = (ms: number) => Math.max(0, Math.ceil(ms / 5000) * 5);

const NO_LEASE: LeaseStore = {
  read: async () => null,
  create: async () => {
    throw new Error('no slot Leases on this cluster port');
  },
  replace: async () => {
    throw new Error('no slot Leases on this cluster port');
  },
};

/** FLUO's hold as one node's turn uses it. */
export interface FluoHoldTurn {
  start(self: string): Promise<void>;
  stop(): Promise<void>;
}

// A failed pass leaves the previous pauses in place and is repeated a second later.
const newFluoHold = (deps: PipelineDeps) => new FluoHold({ nodes: deps.cluster.nodes, holder: deps.holder, intervalMs: 1000, clock: deps.clock, onError: () => undefined });

/**
 * One FLUO hold for the K concurrent node turns of a run: held while any turn holds it, never pausing a node one
 * of the turns has out of service (each turn pauses its own node itself).
 */
export class SharedFluoHold {
  private readonly selves = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly hold: FluoHold;

  constructor(deps: PipelineDeps) {
    this.hold = newFluoHold(deps);
  }

  private serial(f: () => Promise<void>): Promise<void> {
    const next = this.queue.then(f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  turn(): FluoHoldTurn {
    let mine: string | null = null;
    return {
      start: (self) =>
        this.serial(async () => {
          this.selves.add(self);
          try {
            if (this.selves.size === 1) await this.hold.start(this.selves);
            mine = self;
          } catch (err) {
            this.selves.delete(self);
            throw err;
          }
        }),
      stop: () =>
        this.serial(async () => {
          if (mine === null) return;
          this.selves.delete(mine);
          mine = null;
          if (this.selves.size === 0) await this.hold.stop();
        }),
    };
  }
}

/** K > 1: the lock's slots and the failure domains they keep apart (docs/safety.md). */
export interface SlotLimits {
  count: number;
  domainLabel: string;
  stores: SlotStores;
  fluo: FluoHoldTurn;
}

/**
 * The serialization point of the pipeline: one cluster-wide Lease (or, for K nodes at a time, one of K slot
 * Leases recording the node and its failure domain), plus waiting while FLUO or other flatdeck runs have K nodes
 * out of service or one in the same failure domain. Held from the lock step until release for one node.
 */
export class ClusterLock {
  private lease: LeaseLock;
  /** K > 1: the slots this lock takes from; K = 1: read only, for what K > 1 instances hold beyond the base Lease. */
  private readonly slots: LeaseSlots;
  private readonly k: number;
  private held: HeldLease | null = null;
  /** FLUO may start no reboot of its own while we hold the lock (app/cluster/fluo-guard.ts). */
  private readonly fluo: FluoHoldTurn;
  private lostReason: string | null = null;

  constructor(
    private readonly deps: PipelineDeps,
    leaseDurationSeconds: number,
    private readonly limits: { waitLimitMs: number; override: readonly string[]; slots?: SlotLimits } = { waitLimitMs: 3_600_000, override: [] },
  ) {
    const common = { namespace: deps.lock.namespace, identity: deps.holder, leaseDurationSeconds, nowMs: () => deps.clock.nowMs() };
    this.lease = new LeaseLock({ ...common, store: deps.cluster.leaseStore, name: deps.lock.name });
    const slots = limits.slots && limits.slots.count > 1 ? limits.slots : null;
    this.k = slots?.count ?? 1;
    // a port without slot stores (one node at a time only) has no slots beyond the base Lease to read
    const stores = slots?.stores ?? deps.cluster.slotStores ?? ((name: string) => (name === deps.lock.name ? deps.cluster.leaseStore : NO_LEASE));
    this.slots = new LeaseSlots({ ...common, stores, base: deps.lock.name, count: this.k });
    this.fluo = slots?.fluo ?? newFluoHold(deps);
  }

  get leaseLock(): LeaseLock {
    return this.lease;
  }

  private get lockName(): string {
    return `${this.deps.lock.namespace}/${this.deps.lock.name}`;
  }

  /**
   * The cluster as the Nodes and the Lease (or its slots) show it now; also says whom the Lease waits for, with a
   * countdown, and which failure domain `self` is in.
   */
  private async look(self: string, runId: string): Promise<{ verdict: ClusterVerdict; leaseWait: LockWait | null; domain: string | null }> {
    // read side by side: each is a snapshot anyway, and the verdict is taken again right after the Lease is ours
    const [nodes, slots, lease] = await Promise.all([this.deps.cluster.nodes.listNodes(), this.slots.survey(), this.k > 1 ? null : this.lease.inspect()]);
    const domainLabel = this.limits.slots?.domainLabel ?? DEFAULT_DOMAIN_LABEL;
    const domain = domainOf(nodes.find((n) => n.metadata?.name === self), domainLabel);
    const override = this.limits.override;
    const live = slots.filter((s) => s.live);
    if (this.k > 1) {
      const claims = live.map((s) => ({ node: s.node, domain: s.domain, holder: s.holder }));
      const verdict = judgeCluster({ nodes, self, runId, liveHolders: live.map((s) => s.holder), override, maxUnavailable: this.k, domainLabel, claims });
      return { verdict, leaseWait: null, domain };
    }
    const foreign = lease && lease.holder.identity !== this.deps.holder ? lease : null;
    const beyond = live.filter((s) => s.name !== this.deps.lock.name);
    const liveHolders = [...(lease && lease.expiresInMs > 0 ? [lease.holder.identity] : []), ...beyond.map((s) => s.holder)];
    const claims = beyond.map((s) => ({ node: s.node, domain: s.domain, holder: s.holder }));
    const verdict = judgeCluster({ nodes, self, runId, liveHolders, override, claims });
    if (!foreign || foreign.expiresInMs <= 0) return { verdict, leaseWait: null, domain };
    const [holder, silent, expires] = [foreign.holder.identity, roughSeconds(foreign.silentForMs), roughSeconds(foreign.expiresInMs)];
    const leaseWait = {
      wait: `the cluster update lock ${this.lockName} is held by ${holder} (no renewal seen for ${silent} s; it counts as abandoned in ${expires} s unless renewed)`,
      note: { code: 'leaseHeld' as const, params: { lock: this.lockName, holder, silent, expires } },
    };
    return { verdict, leaseWait, domain };
  }

  /** One attempt at the Lease (K = 1) or at a free slot (K > 1): null when taken, else what it waits for. */
  private async tryTake(self: string, domain: string | null): Promise<LockWait | null> {
    if (this.k === 1) {
      if (await this.lease.tryAcquireOrRenew()) return null;
      const holder = this.lease.holder()?.identity ?? null;
      // no holder named: the UI words it from the English text
      return { wait: `the cluster update lock ${this.lockName} is held by ${holder ?? 'someone else'}`, note: { code: 'lockHeld', params: { lock: this.lockName, holder } } };
    }
    const own = new Set(this.slots.names());
    const free = (await this.slots.survey()).filter((s: SlotView) => !s.live && own.has(s.name));
    for (const slot of free) {
      const taken = await this.slots.take(slot.name, self, domain);
      if (taken) {
        this.lease = taken;
        return null;
      }
    }
    return { wait: `all ${this.k} slots of the cluster update lock ${this.lockName} are held`, note: { code: 'slotsHeld', params: { slots: this.k, lock: this.lockName } } };
  }

  private giveUp(self: string, waited: string): ApiError {
    return new ApiError('lock-held', `Gave up after ${seconds(this.limits.waitLimitMs)} waiting: ${waited}. ${self} was not cordoned.`, { node: self });
  }

  /** Waits for the Lease and a quiet cluster; `control` shows what it waits for and can cancel the wait. */
  async acquire(self: string, runId: string, control: RunControl, retryMs = 1000): Promise<void> {
    const { clock } = this.deps;
    const deadline = clock.nowMs() + this.limits.waitLimitMs;
    /** One try: true once the lock is ours and the cluster quiet; else says what it waits for. */
    const attempt = async (): Promise<true | undefined> => {
      await control.checkpoint();
      const { verdict, leaseWait, domain } = await this.look(self, runId);
      if (verdict && 'stop' in verdict) throw new ApiError('needs-attention', `Not rebooting ${self}: ${verdict.stop}`, { node: self });
      let waiting = verdict ?? leaseWait;
      if (!waiting) {
        const taken = await this.tryTake(self, domain);
        if (taken === null) {
          await this.fluo.start(self).catch(async (err: unknown) => {
            await this.lease.release();
            throw err;
          });
          const after = await this.look(self, runId);
          if (!after.verdict) return true;
          await this.fluo.stop();
          await this.lease.release();
          if ('stop' in after.verdict) throw new ApiError('needs-attention', `Not rebooting ${self}: ${after.verdict.stop}`, { node: self });
          waiting = after.verdict;
        } else waiting = taken;
      }
      if (clock.nowMs() > deadline) throw this.giveUp(self, waiting.wait);
      control.setWaiting(waiting.wait, waiting.note);
      return undefined;
    };
    // two instances that took slots for one domain at once both step back: a random pause lets one win next time
    const pace = this.k > 1 ? { nowMs: () => clock.nowMs(), sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms * (1 + Math.random()), signal) } : clock;
    await pollUntil(attempt, { clock: pace, intervalMs: retryMs, signal: control.signal });
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
    let waited = '';
    const check = async (): Promise<true | undefined> => {
      const { verdict } = await this.look(self, runId);
      if (!verdict) return true;
      if ('stop' in verdict) throw new ApiError('needs-attention', `Not rebooting ${self}: ${verdict.stop}`, { node: self });
      waited = verdict.wait;
      control.setWaiting(verdict.wait, verdict.note);
      return undefined;
    };
    const quiet = await pollUntil(check, { clock: this.deps.clock, intervalMs: retryMs, deadlineMs: this.deps.clock.nowMs() + timeoutMs, signal: control.signal });
    if (quiet.timedOut) throw new ApiError('lock-held', `Gave up waiting: ${waited}`, { node: self });
    control.setWaiting(null);
  }

  async release(): Promise<void> {
    // with K slots, a turn that holds none must not free the slot another turn of this process holds (same identity)
    const mine = this.k === 1 || this.held !== null;
    await this.held?.stop();
    this.held = null;
    try {
      await this.fluo.stop();
    } finally {
      if (mine) await this.lease.release();
    }
  }
}
