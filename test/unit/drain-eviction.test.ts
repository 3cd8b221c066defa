import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { evictPods, retryDelayMs, type DrainApi, type PodDrainEvent } from '../../app/cluster/drain.ts';
import { SteppedClock, virtualClock } from '../support/virtual-clock.ts';

class HttpError extends Error {
  constructor(readonly code: number, readonly body: string, readonly headers: Record<string, string> = {}) {
    super(`HTTP-Code: ${code}`);
  }
}
const status = (code: number, message: string, retryAfterSeconds?: number) =>
  JSON.stringify({ kind: 'Status', code, message, ...(retryAfterSeconds === undefined ? {} : { details: { retryAfterSeconds } }) });

const pod = (name: string, uid = `${name}-uid`): V1Pod => ({ metadata: { name, namespace: 'shop', uid }, spec: { nodeName: 'worker-1', containers: [] } });


function fakeApi(evictAnswers: Array<() => void>, existing: Map<string, V1Pod>): DrainApi & { evictions: number } {
  const api = {
    evictions: 0,
    listPodsOnNode: async () => [...existing.values()],
    listPdbs: async () => [],
    async evict(_ns: string, name: string) {
      api.evictions++;
      const next = evictAnswers.shift();
      if (next) next();
      existing.delete(name);
    },
    readPod: async (_ns: string, name: string) => existing.get(name) ?? null,
    deletePod: async () => undefined,
  };
  return api;
}

describe('eviction with backoff', () => {
  it('honours retryAfterSeconds from a 429 before retrying', async () => {
    const c = virtualClock(0);
    const { nowMs, sleep } = c;
    const pods = new Map([['web-1', pod('web-1')]]);
    const api = fakeApi([() => { throw new HttpError(429, status(429, 'Cannot evict pod as it would violate the pod\'s disruption budget.', 10)); }], pods);
    const events: PodDrainEvent[] = [];
    const out = await evictPods(api, [pod('web-1')], { deadlineMs: 600_000, nowMs, sleep, onEvent: (e) => events.push(e) });
    assert.equal(out.finished, true);
    assert.equal(api.evictions, 2);
    assert.deepEqual(c.sleeps, [10_000]);
    const retry = events.find((e) => e.type === 'retry');
    assert.ok(retry && retry.type === 'retry' && retry.waitMs === 10_000 && /disruption budget/.test(retry.reason));
  });

  it('never loops tightly when the server says retry after 0: the delay grows', async () => {
    const c = virtualClock(0);
    const { nowMs, sleep } = c;
    const pods = new Map([['web-1', pod('web-1')]]);
    const deny = () => { throw new HttpError(429, status(429, 'would violate the disruption budget', 0)); };
    const api = fakeApi([deny, deny, deny, deny], pods);
    const out = await evictPods(api, [pod('web-1')], { deadlineMs: 600_000, nowMs, sleep, minRetryMs: 1000, maxRetryMs: 5000 });
    assert.equal(out.finished, true);
    assert.deepEqual(c.sleeps, [1000, 2000, 4000, 5000]);
  });

  it('uses the Retry-After header when the body has no details', () => {
    assert.equal(retryDelayMs(7, 0, 1000, 10_000), 7000);
    assert.equal(retryDelayMs(null, 3, 1000, 10_000), 8000);
  });

  it('reports a pod matched by two PDBs (500) as blocked, naming the pod, and stops evicting', async () => {
    const { nowMs, sleep } = virtualClock(0);
    const pods = new Map([['db-0', pod('db-0')]]);
    const api = fakeApi([() => { throw new HttpError(500, status(500, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.')); }], pods);
    const out = await evictPods(api, [pod('db-0')], { deadlineMs: 600_000, nowMs, sleep });
    assert.equal(out.finished, false);
    assert.equal(out.timedOut, false);
    assert.equal(out.blocked[0]?.pod, 'shop/db-0');
    assert.equal(out.blocked[0]?.pdb, 'more than one PodDisruptionBudget');
    assert.equal(api.evictions, 1);
  });

  it('retries an eviction answered 500 (etcd timeout), 503 or a dropped connection until it goes through', async () => {
    const c = virtualClock(0);
    const { nowMs, sleep } = c;
    const pods = new Map([['db-0', pod('db-0')]]);
    const api = fakeApi([
      () => { throw new HttpError(500, status(500, 'etcdserver: request timed out')); },
      () => { throw new HttpError(503, status(503, 'the server is currently unable to handle the request')); },
      () => { throw new Error('socket hang up'); },
    ], pods);
    const events: PodDrainEvent[] = [];
    const out = await evictPods(api, [pod('db-0')], { deadlineMs: 600_000, nowMs, sleep, minRetryMs: 1000, onEvent: (e) => events.push(e) });
    assert.equal(out.finished, true);
    assert.deepEqual(out.blocked, []);
    assert.equal(api.evictions, 4);
    assert.deepEqual(c.sleeps, [1000, 2000, 4000]);
    assert.deepEqual(events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && e.status), [500, 503, 0]);
  });

  it('a 500 that never clears is a timeout at the deadline, never a refusal (so force waits for the agreed timeout)', async () => {
    const c = virtualClock(0);
    const { nowMs, sleep } = c;
    const pods = new Map([['db-0', pod('db-0')]]);
    const api = fakeApi(Array.from({ length: 100 }, () => () => { throw new HttpError(500, status(500, 'etcdserver: request timed out')); }), pods);
    const out = await evictPods(api, [pod('db-0')], { deadlineMs: 30_000, nowMs, sleep });
    assert.equal(out.finished, false);
    assert.equal(out.timedOut, true);
    assert.deepEqual(out.blocked, []);
    assert.ok(c.t >= 30_000, `gave up only at the deadline (after ${c.t} ms)`);
  });

  it('waits for deletion by UID: a same-name replacement counts as gone, the old pod lingering does not', async () => {
    const c = virtualClock(0);
    const { nowMs, sleep } = c;
    const pods = new Map([['db-0', pod('db-0')]]);
    let reads = 0;
    const api: DrainApi = {
      listPodsOnNode: async () => [],
      listPdbs: async () => [],
      evict: async () => undefined, // accepted, but the pod terminates gracefully
      readPod: async () => (++reads < 4 ? pods.get('db-0') ?? null : pod('db-0', 'new-uid')),
      deletePod: async () => undefined,
    };
    const out = await evictPods(api, [pod('db-0')], { deadlineMs: 600_000, nowMs, sleep, pollMs: 1000 });
    assert.equal(out.finished, true);
    assert.equal(c.t, 3000, 'polled once a second until the UID changed');
  });

  it('gives up at the deadline and reports the remaining pods as a timeout', async () => {
    const { nowMs, sleep } = virtualClock(0);
    const pods = new Map([['web-1', pod('web-1')]]);
    const api: DrainApi = {
      listPodsOnNode: async () => [],
      listPdbs: async () => [],
      evict: async () => { throw new HttpError(429, status(429, 'disruption budget', 10)); },
      readPod: async (_n, name) => pods.get(name) ?? null,
      deletePod: async () => undefined,
    };
    const out = await evictPods(api, [pod('web-1')], { deadlineMs: 35_000, nowMs, sleep });
    assert.equal(out.finished, false);
    assert.equal(out.timedOut, true);
    assert.deepEqual(out.remaining.map((p) => p.metadata?.name), ['web-1']);
  });

  it('sees a pod gone when the watch of its node says so, not a poll interval later; other pods\' changes wake no one', async () => {
    const clock = new SteppedClock(0);
    const pods = new Map([['web-1', pod('web-1')], ['db-0', pod('db-0')]]);
    const reads: string[] = [];
    const watch: { tell?: (p: V1Pod) => void } = {};
    const api: DrainApi = {
      listPodsOnNode: async () => [],
      listPdbs: async () => [],
      evict: async () => undefined, // accepted; the pods terminate gracefully
      readPod: async (_ns, name) => (reads.push(name), pods.get(name) ?? null),
      deletePod: async () => undefined,
      watchPodsOn: async (node, onChange) => {
        assert.equal(node, 'worker-1');
        watch.tell = onChange;
      },
    };
    let done = false;
    const draining = evictPods(api, [pod('web-1'), pod('db-0')], { deadlineMs: 600_000, nowMs: () => clock.nowMs(), sleep: (ms, s) => clock.sleep(ms, s), pollMs: 1000 }).then((out) => ((done = true), out));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(reads.sort(), ['db-0', 'web-1'], 'each pod read once after its eviction');
    pods.delete('web-1');
    watch.tell?.(pod('web-1'));
    await new Promise((r) => setImmediate(r));
    assert.equal(reads.filter((n) => n === 'web-1').length, 2, 'web-1 read again at once, the clock not moved');
    assert.equal(reads.filter((n) => n === 'db-0').length, 1, 'db-0 not woken by web-1\'s change');
    pods.delete('db-0');
    watch.tell?.(pod('db-0'));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, true, 'both gone without the clock moving');
    assert.equal(clock.nowMs(), 0);
    assert.equal((await draining).finished, true);
  });
});
