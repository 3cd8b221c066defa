import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Lease } from '@kubernetes/client-node';
import { LeaseLock, keepRenewed, type LeaseStore } from '../../app/cluster/lease-lock.ts';
import { SteppedClock } from '../support/virtual-clock.ts';

class Conflict extends Error {
  code = 409;
  body = JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified' });
}

/** An in-memory Lease endpoint with the API server's optimistic concurrency; serialises as JSON like the wire. */
class FakeLeaseApi implements LeaseStore {
  stored: string | null = null;
  rv = 0;
  writes: string[] = [];
  beforeReplace: (() => Promise<void>) | null = null;
  async read(): Promise<V1Lease | null> {
    return this.stored ? (JSON.parse(this.stored) as V1Lease) : null;
  }
  async create(lease: V1Lease): Promise<V1Lease> {
    if (this.stored) throw new Conflict();
    return this.write(lease);
  }
  async replace(lease: V1Lease): Promise<V1Lease> {
    const hook = this.beforeReplace;
    this.beforeReplace = null;
    if (hook) await hook();
    const current = JSON.parse(this.stored ?? '{}') as V1Lease;
    if (lease.metadata?.resourceVersion !== current.metadata?.resourceVersion) throw new Conflict();
    return this.write(lease);
  }
  private write(lease: V1Lease): V1Lease {
    const json = JSON.stringify({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } });
    this.writes.push(json);
    this.stored = json;
    return JSON.parse(json) as V1Lease;
  }
  holder(): string {
    return (JSON.parse(this.stored ?? '{}') as V1Lease).spec?.holderIdentity ?? '';
  }
}

function contender(api: FakeLeaseApi, identity: string, clock: { t: number }): LeaseLock {
  return new LeaseLock({ store: api, namespace: 'kube-system', name: 'flatdeck-update-lock', identity, leaseDurationSeconds: 15, nowMs: () => clock.t });
}

describe('the cluster Lease lock', () => {
  it('creates the lease when absent and writes MicroTime timestamps with six fractional digits', async () => {
    const api = new FakeLeaseApi();
    const a = contender(api, 'alice@laptop#1', { t: Date.parse('2026-11-26T12:00:00.123Z') });
    assert.equal(await a.tryAcquireOrRenew(), true);
    assert.equal(api.holder(), 'alice@laptop#1');
    assert.match(api.writes[0] ?? '', /"renewTime":"2026-11-26T12:00:00\.123000Z"/);
    assert.match(api.writes[0] ?? '', /"acquireTime":"2026-11-26T12:00:00\.123000Z"/);
  });

  it('renews while held: renewTime moves, acquireTime and transitions stay', async () => {
    const api = new FakeLeaseApi();
    const clock = { t: Date.parse('2026-11-26T12:00:00Z') };
    const a = contender(api, 'alice', clock);
    await a.tryAcquireOrRenew();
    clock.t += 5000;
    assert.equal(await a.tryAcquireOrRenew(), true);
    const spec = (JSON.parse(api.stored ?? '') as V1Lease).spec;
    assert.equal(String(spec?.renewTime), '2026-11-26T12:00:05.000000Z');
    assert.equal(String(spec?.acquireTime), '2026-11-26T12:00:00.000000Z');
    assert.equal(spec?.leaseTransitions, 0);
  });

  it('counts down to a silent holder\'s expiry by its own observation, and a renewal starts the count again', async () => {
    const api = new FakeLeaseApi();
    const clockA = { t: 1_000_000 };
    const clockB = { t: 0 };
    const a = contender(api, 'alice', clockA);
    const b = contender(api, 'bob', clockB);
    await a.tryAcquireOrRenew();
    assert.equal((await b.inspect())?.expiresInMs, 15_000);
    clockB.t += 6000;
    assert.deepEqual(await b.inspect(), { holder: { identity: 'alice', renewTime: (await b.inspect())?.holder.renewTime ?? null, leaseDurationSeconds: 15 }, silentForMs: 6000, expiresInMs: 9000 });
    clockA.t += 6000;
    await a.tryAcquireOrRenew();
    assert.equal((await b.inspect())?.expiresInMs, 15_000, 'a renewal seen resets the countdown');
    assert.equal((await a.inspect())?.expiresInMs, Infinity, 'our own hold never counts down');
    await a.release();
    assert.equal(await b.inspect(), null, 'a released lease is free');
  });

  it('lets another contender take over only after leaseDurationSeconds of locally observed silence', async () => {
    const api = new FakeLeaseApi();
    const clockA = { t: 1_000_000 };
    const clockB = { t: 50 }; // B's clock is far off: only its own elapsed time matters
    const a = contender(api, 'alice', clockA);
    const b = contender(api, 'bob', clockB);
    await a.tryAcquireOrRenew();
    assert.equal(await b.tryAcquireOrRenew(), false);
    assert.equal(b.holder()?.identity, 'alice');
    clockB.t += 14_000;
    assert.equal(await b.tryAcquireOrRenew(), false, 'not yet expired by B\'s observation');
    clockA.t += 14_000;
    await a.tryAcquireOrRenew(); // A renews: B sees a change and restarts its wait
    clockB.t += 2_000;
    assert.equal(await b.tryAcquireOrRenew(), false);
    clockB.t += 15_000;
    assert.equal(await b.tryAcquireOrRenew(), true);
    assert.equal(api.holder(), 'bob');
    assert.equal((JSON.parse(api.stored ?? '') as V1Lease).spec?.leaseTransitions, 1);
    assert.equal(await a.confirmHeld(), false, 'the old holder notices before its next destructive step');
  });

  it('loses cleanly on a 409 when another writer updated the lease between our read and our PUT', async () => {
    const api = new FakeLeaseApi();
    const clock = { t: 0 };
    const a = contender(api, 'alice', clock);
    const b = contender(api, 'bob', clock);
    await a.tryAcquireOrRenew();
    await a.release();
    api.beforeReplace = async () => {
      assert.equal(await a.tryAcquireOrRenew(), true);
    };
    assert.equal(await b.tryAcquireOrRenew(), false);
    assert.equal(api.holder(), 'alice');
  });

  it('loses a create race with 409 AlreadyExists', async () => {
    const api = new FakeLeaseApi();
    const b = contender(api, 'bob', { t: 0 });
    const realRead = api.read.bind(api);
    api.read = async () => {
      api.read = realRead;
      const seen = await realRead();
      await contender(api, 'alice', { t: 0 }).tryAcquireOrRenew();
      return seen;
    };
    assert.equal(await b.tryAcquireOrRenew(), false);
    assert.equal(api.holder(), 'alice');
  });

  it('release frees the lease for the next contender at once; releasing someone else\'s lease does nothing', async () => {
    const api = new FakeLeaseApi();
    const clock = { t: 0 };
    const a = contender(api, 'alice', clock);
    const b = contender(api, 'bob', clock);
    await a.tryAcquireOrRenew();
    assert.equal(await b.release(), false);
    assert.equal(await a.release(), true);
    assert.equal(await b.tryAcquireOrRenew(), true);
  });

  it('hands back an abandoned holder only after it expired by our observation', async () => {
    const api = new FakeLeaseApi();
    const clock = { t: 0 };
    await contender(api, 'crashed', { t: 0 }).tryAcquireOrRenew();
    const b = contender(api, 'bob', clock);
    assert.equal(await b.releaseExpired('crashed'), false);
    clock.t += 16_000;
    assert.equal(await b.releaseExpired('crashed'), true);
    assert.equal(api.holder(), '');
  });

  it('keepRenewed renews in the background and reports loss when someone else holds the lease', async () => {
    const api = new FakeLeaseApi();
    const a = new LeaseLock({ store: api, namespace: 'ns', name: 'l', identity: 'alice', leaseDurationSeconds: 2 });
    await a.tryAcquireOrRenew();
    const before = api.rv;
    let lostReason = '';
    const clock = new SteppedClock();
    const held = keepRenewed(a, (r) => (lostReason = r), clock);
    await clock.advance(1500);
    assert.equal(api.rv, before + 2, 'renewed every third of the 2 s lease');
    const stored = JSON.parse(api.stored ?? '') as V1Lease;
    api.stored = JSON.stringify({ ...stored, spec: { ...stored.spec, holderIdentity: 'mallory' } });
    await clock.advance(700);
    assert.equal(held.isLost(), true);
    const { lost } = await held.stopped;
    assert.equal(lost, true);
    assert.match(lostReason, /Lost the cluster update lock/);
  });
});
