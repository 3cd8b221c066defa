import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../app/api/errors.ts';
import { fluoKeys } from '../../app/cluster/node-keys.ts';
import { ClusterLock } from '../../app/pipeline/cluster-lock.ts';
import { RunControl } from '../../app/pipeline/run-context.ts';
import { FakeCluster, fakeDeps, virtualClock } from './pipeline-fakes.ts';

/** worker-1 is ours; FLUO is rebooting worker-2 until `fluoDoneAfterMs` of virtual time (never when null). */
function world(fluoDoneAfterMs: number | null) {
  const clock = virtualClock();
  const start = clock.t;
  const cluster = new FakeCluster(clock);
  cluster.addNode('worker-1', '4757.2.0', 'b1');
  const other = cluster.addNode('worker-2', '4757.2.0', 'b2');
  other.metadata!.annotations![fluoKeys.rebootInProgress] = 'true';
  const sleep = clock.sleep;
  clock.sleep = async (ms, signal) => {
    await sleep(ms, signal);
    if (fluoDoneAfterMs !== null && clock.t - start >= fluoDoneAfterMs) delete other.metadata!.annotations![fluoKeys.rebootInProgress];
  };
  const lock = new ClusterLock(fakeDeps(cluster, new Map(), clock).deps, 15);
  return { clock, start, lock, control: new RunControl() };
}

describe('waiting, with the lock held, for the rest of the cluster to be quiet before a reboot', () => {
  it('waits while FLUO reboots another node, saying so, and goes on once it is done', async () => {
    const w = world(5000);
    const said: Array<string | null> = [];
    const setWaiting = w.control.setWaiting.bind(w.control);
    w.control.setWaiting = (what) => {
      said.push(what);
      setWaiting(what);
    };
    await w.lock.waitQuiet('worker-1', 'run-1', w.control, 60_000);
    assert.equal(w.clock.t - w.start, 5000, 'one look a second until FLUO was done');
    assert.match(said[0] ?? '', /FLUO is rebooting node worker-2/);
    assert.equal(said.at(-1), null, 'no longer waiting');
  });

  it('gives up at its limit naming what it waited for', async () => {
    const w = world(null);
    await assert.rejects(w.lock.waitQuiet('worker-1', 'run-1', w.control, 10_000), (e: unknown) => e instanceof ApiError && e.kind === 'lock-held' && /Gave up waiting: FLUO is rebooting node worker-2/.test(e.message));
    assert.ok(w.clock.t - w.start >= 10_000 && w.clock.t - w.start <= 11_000);
  });

  it('ends at once when the run is cancelled', async () => {
    const w = world(null);
    const waiting = w.lock.waitQuiet('worker-1', 'run-1', w.control, 3_600_000);
    w.control.cancel();
    await assert.rejects(waiting);
    assert.ok(w.clock.t - w.start <= 2000, 'no further looks after the cancel');
  });
});
