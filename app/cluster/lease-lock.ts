import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { ApiError } from '../api/errors.ts';
import { isConflict, isNotFound } from './kube-status.ts';

/** The three calls the lock needs; `replace` must be a PUT carrying the read object's resourceVersion. */
export interface LeaseStore {
  read(): Promise<V1Lease | null>;
  create(lease: V1Lease): Promise<V1Lease>;
  replace(lease: V1Lease): Promise<V1Lease>;
}

export interface LeaseHolder {
  identity: string;
  renewTime: string | null;
  leaseDurationSeconds: number;
}

export interface LeaseLockOptions {
  store: LeaseStore;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** Local monotonic-ish clock in ms; expiry is judged by when *we* saw the record change, as client-go does. */
  nowMs?: () => number;
}

const toIso = (t: unknown): string | null => (t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : null);

/**
 * A cluster-wide lock on a coordination.k8s.io/v1 Lease with client-go leader-election semantics:
 * renewTime is refreshed while held; another holder's lease counts as expired only after
 * leaseDurationSeconds in which this process observed no change to the record; every write is a PUT of
 * the object we read, so a concurrent writer gets 409 and loses. There is no fencing, so callers check
 * `confirmHeld()` right before each destructive action.
 */
export class LeaseLock {
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  private readonly store: LeaseStore;
  private readonly namespace: string;
  private readonly name: string;
  private readonly nowMs: () => number;
  private observedRecord: string | null = null;
  private observedAtMs = 0;
  private lastHolder: LeaseHolder | null = null;

  constructor(opts: LeaseLockOptions) {
    this.store = opts.store;
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity;
    this.leaseDurationSeconds = opts.leaseDurationSeconds;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  /** Who held the lease when we last looked (null = free or never read). */
  holder(): LeaseHolder | null {
    return this.lastHolder && this.lastHolder.identity !== '' ? this.lastHolder : null;
  }

  private observe(lease: V1Lease): void {
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity ?? '', toIso(spec.renewTime), toIso(spec.acquireTime), spec.leaseTransitions ?? 0]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAtMs = this.nowMs();
    }
    this.lastHolder = {
      identity: spec.holderIdentity ?? '',
      renewTime: toIso(spec.renewTime),
      leaseDurationSeconds: spec.leaseDurationSeconds ?? this.leaseDurationSeconds,
    };
  }

  private spec(now: V1MicroTime, acquireTime: unknown, transitions: number): V1Lease['spec'] {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: (acquireTime as V1MicroTime | undefined) ?? now,
      renewTime: now,
      leaseTransitions: transitions,
    };
  }

  /** One attempt, as client-go's tryAcquireOrRenew: true when we hold the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = new V1MicroTime(this.nowMs());
    const current = await this.store.read();
    if (!current) {
      try {
        const created = await this.store.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.name, namespace: this.namespace },
          spec: this.spec(now, undefined, 0),
        });
        this.observe(created);
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const ours = holder === this.identity;
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    if (holder !== '' && !ours && this.observedAtMs + durationMs > this.nowMs()) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (ours ? 0 : 1);
    try {
      const updated = await this.store.replace({ ...current, spec: this.spec(now, ours ? spec.acquireTime : undefined, transitions) });
      this.observe(updated);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /**
   * Reads the lease and says who holds it and, for another holder, how long until it counts as abandoned
   * (by our own observation of its renewals, as `tryAcquireOrRenew` judges it). null when it is free.
   */
  async inspect(): Promise<{ holder: LeaseHolder; silentForMs: number; expiresInMs: number } | null> {
    const current = await this.store.read();
    if (!current) return null;
    this.observe(current);
    const holder = this.holder();
    if (!holder) return null;
    const silentForMs = this.nowMs() - this.observedAtMs;
    return { holder, silentForMs, expiresInMs: holder.identity === this.identity ? Infinity : holder.leaseDurationSeconds * 1000 - silentForMs };
  }

  /** Reads the lease fresh: do we still hold it? Call before every destructive step. */
  async confirmHeld(): Promise<boolean> {
    const current = await this.store.read();
    if (!current) return false;
    this.observe(current);
    return (current.spec?.holderIdentity ?? '') === this.identity;
  }

  /** Gives the lease up the way client-go's ReleaseOnCancel does; a no-op if someone else holds it. */
  async release(): Promise<boolean> {
    const current = await this.store.read();
    if (!current || current.spec?.holderIdentity !== this.identity) return false;
    const now = new V1MicroTime(this.nowMs());
    try {
      const updated = await this.store.replace({
        ...current,
        spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      });
      this.observe(updated);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /**
   * Force-releases a lease held by `identity` (an abandoned run being handed back) once it has expired by our
   * own observation; never touches a lease another live process is renewing.
   */
  async releaseExpired(identity: string): Promise<boolean> {
    const current = await this.store.read();
    if (!current) return false;
    this.observe(current);
    if (current.spec?.holderIdentity !== identity) return false;
    const durationMs = (current.spec?.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    if (identity !== this.identity && this.observedAtMs + durationMs > this.nowMs()) return false;
    const now = new V1MicroTime(this.nowMs());
    try {
      await this.store.replace({ ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}

export function kubeLeaseStore(kc: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    async read() {
      try {
        return await api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async create(lease) {
      try {
        return await api.createNamespacedLease({ namespace, body: lease });
      } catch (err) {
        // Creating in a namespace that does not exist answers 404: say what to do instead of "not found".
        if (!isNotFound(err)) throw err;
        throw new ApiError('not-found', `The namespace ${namespace} for flatdeck's update Lease does not exist: apply deploy/rbac.yaml (it creates flatdeck-system) or choose the lock namespace in Settings.`, {
          namespace,
          lease: name,
        });
      }
    },
    replace: (lease) => api.replaceNamespacedLease({ name, namespace, body: lease }),
  };
}

export interface HeldLease {
  /** Resolves when renewing stopped; `lost` says whether it stopped because the lease could not be renewed. */
  readonly stopped: Promise<{ lost: boolean }>;
  isLost(): boolean;
  stop(): Promise<void>;
}

/** The time keepRenewed runs on: the pipeline's Clock, or a virtual one in tests. */
export interface RenewClock {
  nowMs(): number;
  /** Rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/**
 * Keeps a held lease renewed every third of its duration. If renewals keep failing for two thirds of the
 * duration (client-go's RenewDeadline), the lease counts as lost and `onLost` fires so the pipeline can stop
 * at its next safe point.
 */
export function keepRenewed(lock: LeaseLock, onLost: (reason: string) => void, clock: RenewClock): HeldLease {
  const periodMs = (lock.leaseDurationSeconds * 1000) / 3;
  const deadlineMs = (lock.leaseDurationSeconds * 2000) / 3;
  const stopping = new AbortController();
  let lastRenewed = clock.nowMs();
  let lost = false;

  const renewals = (async (): Promise<{ lost: boolean }> => {
    for (;;) {
      try {
        await clock.sleep(periodMs, stopping.signal);
      } catch {
        return { lost: false };
      }
      let reason = 'another holder took it over';
      try {
        if (await lock.tryAcquireOrRenew()) lastRenewed = clock.nowMs();
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
      }
      if (stopping.signal.aborted) return { lost: false };
      if (clock.nowMs() - lastRenewed > deadlineMs || (lock.holder() !== null && lock.holder()?.identity !== lock.identity)) {
        lost = true;
        onLost(`Lost the cluster update lock (${reason})`);
        return { lost: true };
      }
    }
  })();

  return {
    stopped: renewals,
    isLost: () => lost,
    async stop() {
      stopping.abort();
      await renewals;
    },
  };
}
