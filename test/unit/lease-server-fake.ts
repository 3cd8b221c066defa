import type { V1Lease } from '@kubernetes/client-node';
import type { LeaseStore } from '../../app/cluster/lease-lock.ts';
import type { Clock } from '../../app/pipeline/ports.ts';
import { FakeCluster } from './pipeline-fakes.ts';

/** Leases by name with the API server's optimistic concurrency: a PUT of an older resourceVersion gets 409. */
export function leaseServer() {
  const leases = new Map<string, V1Lease>();
  /** every accepted write: which Lease, and its holder afterwards ('' = released) */
  const writes: { name: string; holder: string }[] = [];
  let rv = 0;
  const conflict = () => Object.assign(new Error('conflict'), { code: 409 });
  const stores = (name: string): LeaseStore => ({
    read: async () => structuredClone(leases.get(name) ?? null),
    create: async (l) => {
      if (leases.has(name)) throw conflict();
      leases.set(name, { ...l, metadata: { ...l.metadata, resourceVersion: String(++rv) } });
      return structuredClone(leases.get(name) as V1Lease);
    },
    replace: async (l) => {
      if (leases.get(name)?.metadata?.resourceVersion !== l.metadata?.resourceVersion) throw conflict();
      writes.push({ name, holder: l.spec?.holderIdentity ?? '' });
      leases.set(name, { ...l, metadata: { ...l.metadata, resourceVersion: String(++rv) } });
      return structuredClone(leases.get(name) as V1Lease);
    },
  });
  return { leases, writes, stores };
}

/** Nodes in the given zones (name → zone), the cluster lock's Lease and its slots on one Lease server. */
export function zonedCluster(clock: Clock, zones: Record<string, string>) {
  const cluster = new FakeCluster(clock);
  for (const [name, zone] of Object.entries(zones)) cluster.addNode(name, '4757.2.0', `boot-${name}`).metadata!.labels = { 'topology.kubernetes.io/zone': zone };
  const server = leaseServer();
  // as on a real cluster, slot 0 and the one-node lock are the same Lease
  Object.assign(cluster, { leaseStore: server.stores('flatdeck-update-lock') });
  return { cluster, server };
}
