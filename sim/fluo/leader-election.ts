// The operator's leader election (pkg/operator/operator.go withLeaderElection; client-go v0.27.4
// tools/leaderelection): the lock `flatcar-linux-update-operator-lock` in the operator's namespace, held for the
// lease duration and renewed every retry period. A candidate waits until it has seen the record unchanged for a
// whole lease duration (client-go judges expiry by its own observation time), so a new operator pod waits that
// long before it acts, and an operator that cannot renew within the renew deadline exits ("leaderelection lost").
import { isStatus, type KubeRestClient } from '../kubelet/rest-client.ts';
import { abortable, sleep } from './timing.ts';

export const LOCK_NAME = 'flatcar-linux-update-operator-lock';

export interface LeaderElectionConfig {
  client: KubeRestClient;
  namespace: string;
  identity: string;
  /** real ms: defaultLeaderElectionLease 90 s; renew deadline 2/3 and retry period 1/3 of it */
  leaseMs: number;
  now: () => number;
}

interface LeaseObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

class Elector {
  private observed: { record: string; at: number } | null = null;
  private leading = false;

  constructor(private readonly cfg: LeaderElectionConfig) {}

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.cfg.namespace)}/leases`;
  }

  /** client-go tryAcquireOrRenew */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.cfg.now();
    const spec = (previous: LeaseObject['spec'] | null) => ({
      holderIdentity: this.cfg.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.cfg.leaseMs / 1000)),
      acquireTime: previous?.holderIdentity === this.cfg.identity && previous.acquireTime ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (previous && previous.holderIdentity !== this.cfg.identity ? 1 : 0),
    });
    const current = await this.cfg.client.raw<LeaseObject>('GET', `${this.path}/${LOCK_NAME}`);
    if (current.status === 404) {
      const created = await this.cfg.client.raw('POST', this.path, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LOCK_NAME, namespace: this.cfg.namespace }, spec: spec(null) });
      this.leading = created.status === 201;
      this.observed = this.leading ? { record: JSON.stringify(spec(null)), at: now } : null;
      return this.leading;
    }
    if (current.status !== 200) throw new Error(`error retrieving resource lock ${this.cfg.namespace}/${LOCK_NAME}: HTTP ${current.status}`);
    const record = JSON.stringify(current.body.spec);
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const holder = current.body.spec.holderIdentity ?? '';
    if (holder !== '' && holder !== this.cfg.identity && this.observed.at + this.cfg.leaseMs > now) return false;
    try {
      const next = spec(current.body.spec);
      await this.cfg.client.call('PUT', `${this.path}/${LOCK_NAME}`, { ...current.body, spec: next });
      this.observed = { record: JSON.stringify(next), at: now };
      this.leading = true;
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }
}

/** Runs `work` only while leading; rejects with "leaderelection lost" when a renewal misses the deadline. */
export async function whileLeading(cfg: LeaderElectionConfig, signal: AbortSignal, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const elector = new Elector(cfg);
  const retryMs = cfg.leaseMs / 3;
  const renewDeadlineMs = (cfg.leaseMs * 2) / 3;
  const attempt = () => elector.tryAcquireOrRenew().catch(() => false);
  while (!(await abortable(attempt(), signal))) await sleep(retryMs, signal);

  const leadership = new AbortController();
  const stop = () => leadership.abort();
  signal.addEventListener('abort', stop, { once: true });
  const renewals = (async () => {
    let renewed = cfg.now();
    while (!leadership.signal.aborted) {
      await sleep(retryMs, leadership.signal).catch(() => undefined);
      if (leadership.signal.aborted) return;
      if (await attempt()) renewed = cfg.now();
      else if (cfg.now() - renewed > renewDeadlineMs) throw new Error('leaderelection lost');
    }
  })();
  try {
    await Promise.race([work(leadership.signal), renewals]);
  } finally {
    stop();
    signal.removeEventListener('abort', stop);
    await renewals.catch(() => undefined);
  }
}
