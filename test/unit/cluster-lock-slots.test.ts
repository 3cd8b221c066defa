// The cluster lock with K slots, as the K turns of one run use it: a turn waits while a node of its own failure
// domain is out, takes a slot in another domain, and a turn that never got a slot gives nothing back when it is
// cleaned up (it must not free the slot another turn of the same process holds).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../app/api/errors.ts';
import { ClusterLock, SharedFluoHold } from '../../app/pipeline/cluster-lock.ts';
import { RunControl } from '../../app/pipeline/run-context.ts';
import { zonedCluster } from './lease-server-fake.ts';
import { fakeDeps, virtualClock } from './pipeline-fakes.ts';

function world() {
  const clock = virtualClock();
  const { cluster, server } = zonedCluster(clock, { 'worker-1': 'zone-a', 'worker-2': 'zone-b', 'worker-3': 'zone-a' });
  const { deps } = fakeDeps(cluster, new Map(), clock);
  const fluo = new SharedFluoHold(deps);
  const turn = () => new ClusterLock(deps, 15, { waitLimitMs: 5000, override: [], slots: { count: 2, domainLabel: 'topology.kubernetes.io/zone', stores: server.stores, fluo: fluo.turn() } });
  return { server, turn };
}

const holderOf = (w: ReturnType<typeof world>, slot: string) => w.server.leases.get(slot)?.spec?.holderIdentity ?? '';

describe('the cluster lock with K = 2 slots', () => {
  it('a second turn in the same zone gives up waiting, naming the zone; in another zone it takes the other slot', async () => {
    const w = world();
    const first = w.turn();
    await first.acquire('worker-1', 'run-1', new RunControl());
    await assert.rejects(w.turn().acquire('worker-3', 'run-1', new RunControl()), (e: unknown) => e instanceof ApiError && e.kind === 'lock-held' && /worker-1 .*same failure domain \(topology\.kubernetes\.io\/zone=zone-a\)/.test(e.message));
    const second = w.turn();
    await second.acquire('worker-2', 'run-1', new RunControl());
    const annotated = [...w.server.leases.values()].map((l) => l.metadata?.annotations?.['flatdeck.io/slot-node']).sort();
    assert.deepEqual(annotated, ['worker-1', 'worker-2']);
    await first.release();
    await second.release();
    assert.deepEqual([holderOf(w, 'flatdeck-update-lock'), holderOf(w, 'flatdeck-update-lock-1')], ['', '']);
  });

  it('a turn that never took a slot releases nothing of another turn of the same process', async () => {
    const w = world();
    const holding = w.turn();
    await holding.acquire('worker-1', 'run-1', new RunControl());
    try {
      const before = w.server.writes.length;
      await w.turn().release();
      assert.deepEqual(w.server.writes.slice(before).filter((x) => x.holder === ''), [], 'no slot was given up');
      await holding.confirm('rebooting worker-1');
    } finally {
      await holding.release();
    }
  });
});
