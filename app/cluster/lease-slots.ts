import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { isConflict } from './kube-status.ts';
import { LeaseLock, type LeaseStore } from './lease-lock.ts';
import { flatdeckKeys } from './node-keys.ts';

/** The Lease store of one slot, by the slot Lease's name. */
export type SlotStores = (name: string) => LeaseStore;

/** One of the K Leases of the cluster update lock, as last read. */
export interface SlotView {
  name: string;
  /** '' when free */
  holder: string;
  /** the node its holder takes out of service, and that node's failure domain (null: not recorded) */
  node: string | null;
  domain: string | null;
  /** held, and renewed within its lease duration as this process observed it (client-go's rule) */
  live: boolean;
}

export interface LeaseSlotsOptions {
  stores: SlotStores;
  namespace: string;
  /** slot 0 is the one-holder lock's own Lease, so K=1 instances and K>1 instances exclude each other there */
  base: string;
  count: number;
  identity: string;
  leaseDurationSeconds: number;
  nowMs: () => number;
}

/** The API's largest K; no instance creates more slots than this. */
const MAX_SLOTS = 50;

/** Slot i's Lease: the base name for slot 0, `<base>-<i>` after it. */
export const slotName = (base: string, index: number): string => (index === 0 ? base : `${base}-${index}`);

const toIso = (t: unknown): string | null => (t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : null);

/**
 * K Leases, each one place out of service. A slot is taken like client-go takes a Lease (a PUT of the object
 * read, so of two writers one gets 409) and records the node and its failure domain in the same write, so anyone
 * reading the slots sees who is out of service where. A slot whose holder went silent for its lease duration (by
 * this process's own observation, never by comparing clocks) is free to take.
 */
export class LeaseSlots {
  private readonly observed = new Map<string, { record: string; atMs: number }>();

  constructor(private readonly opts: LeaseSlotsOptions) {}

  names(): string[] {
    return Array.from({ length: this.opts.count }, (_, i) => slotName(this.opts.base, i));
  }

  private isLive(name: string, lease: V1Lease): boolean {
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    if (holder === '') return false;
    const record = JSON.stringify([holder, toIso(spec.renewTime), toIso(spec.acquireTime), spec.leaseTransitions ?? 0]);
    const seen = this.observed.get(name);
    const now = this.opts.nowMs();
    if (seen?.record !== record) this.observed.set(name, { record, atMs: now });
    const since = seen?.record === record ? seen.atMs : now;
    return since + (spec.leaseDurationSeconds ?? this.opts.leaseDurationSeconds) * 1000 > now;
  }

  private view(name: string, lease: V1Lease | null): SlotView {
    if (!lease) return { name, holder: '', node: null, domain: null, live: false };
    const a = lease.metadata?.annotations ?? {};
    return { name, holder: lease.spec?.holderIdentity ?? '', node: a[flatdeckKeys.slotNode] || null, domain: a[flatdeckKeys.slotDomain] || null, live: this.isLive(name, lease) };
  }

  /**
   * Every slot as it is now: our K, and the further ones an instance with a larger K created (slots are created
   * in order and never deleted, so the first missing one ends the list).
   */
  async survey(): Promise<SlotView[]> {
    const ours = await Promise.all(this.names().map(async (name) => this.view(name, await this.opts.stores(name).read())));
    for (let i = this.opts.count; i < MAX_SLOTS; i++) {
      const name = slotName(this.opts.base, i);
      const lease = await this.opts.stores(name).read();
      if (!lease) break;
      ours.push(this.view(name, lease));
    }
    return ours;
  }

  /**
   * Takes slot `name` for `node` in `domain` if it is free (or abandoned); a LeaseLock on it (for renewing,
   * confirming and releasing) when taken, null when someone else holds it or won the race for it.
   */
  async take(name: string, node: string, domain: string | null): Promise<LeaseLock | null> {
    const store = this.opts.stores(name);
    const now = new V1MicroTime(this.opts.nowMs());
    const annotations = { [flatdeckKeys.slotNode]: node, [flatdeckKeys.slotDomain]: domain ?? '' };
    const spec = (transitions: number): V1Lease['spec'] => ({
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.opts.leaseDurationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: transitions,
    });
    try {
      const current = await store.read();
      if (!current) {
        await store.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: this.opts.namespace, annotations }, spec: spec(0) });
      } else {
        if (this.view(name, current).live) return null;
        const metadata = { ...current.metadata, annotations: { ...current.metadata?.annotations, ...annotations } };
        await store.replace({ ...current, metadata, spec: spec((current.spec?.leaseTransitions ?? 0) + 1) });
      }
    } catch (err) {
      if (isConflict(err)) return null;
      throw err;
    }
    return new LeaseLock({ store, namespace: this.opts.namespace, name, identity: this.opts.identity, leaseDurationSeconds: this.opts.leaseDurationSeconds, nowMs: this.opts.nowMs });
  }
}
