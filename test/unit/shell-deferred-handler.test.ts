import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../app/api/index.ts';
import type { ApiEvent, ApiHandler } from '../../app/api/index.ts';
import { deferredHandler } from '../../main/host/deferred-handler.ts';
import { FakeHandler, clusterEvent, demoCluster } from './shell-fake-handler.ts';

function later<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('deferredHandler (window first, core when ready)', () => {
  it('holds calls until the core is there, then answers them', async () => {
    const core = later<ApiHandler>();
    const handler = deferredHandler(core.promise);
    const pending = handler.call('clusters.list', {});
    const fake = new FakeHandler();
    core.resolve(fake);
    assert.deepEqual(await pending, [demoCluster]);
  });

  it('attaches early subscribers once ready, and honours an unsubscribe that came first', async () => {
    const core = later<ApiHandler>();
    const handler = deferredHandler(core.promise);
    const seen: ApiEvent[] = [];
    handler.subscribe((e) => seen.push(e));
    const gone: ApiEvent[] = [];
    handler.subscribe((e) => gone.push(e))();
    const fake = new FakeHandler();
    core.resolve(fake);
    await core.promise;
    await Promise.resolve();
    fake.emit(clusterEvent);
    assert.deepEqual(seen, [clusterEvent]);
    assert.deepEqual(gone, []);
    assert.equal(fake.listenerCount, 1);
  });

  it('fails every call with the startup error when the core cannot start', async () => {
    const core = later<ApiHandler>();
    const handler = deferredHandler(core.promise);
    const unsubscribe = handler.subscribe(() => assert.fail('no events without a core'));
    core.reject(new ApiError('internal', 'the demo simulator could not start: port in use'));
    await assert.rejects(handler.call('clusters.list', {}), /demo simulator could not start/);
    unsubscribe();
  });
});
