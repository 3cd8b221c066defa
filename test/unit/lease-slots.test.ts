// The K slot Leases of the cluster update lock: one winner per slot however many instances race for it, the node
// and failure domain recorded in the same write, an abandoned slot free only after its lease duration as the
// reader observed it, and slots created by an instance with a larger K seen by everyone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseSlots, slotName } from '../../app/cluster/lease-slots.ts';
import { leaseServer } from './lease-server-fake.ts';

function instance(server: ReturnType<typeof leaseServer>, identity: string, count: number, clock: { now: number }) {
  return new LeaseSlots({ stores: server.stores, namespace: 'flatdeck-system', base: 'flatdeck-update-lock', count, identity, leaseDurationSeconds: 15, nowMs: () => clock.now });
}

describe('slot Leases of the cluster update lock', () => {
  it('slot 0 is the one-node lock itself, the others are numbered after it', () => {
    assert.deepEqual([0, 1, 2].map((i) => slotName('flatdeck-update-lock', i)), ['flatdeck-update-lock', 'flatdeck-update-lock-1', 'flatdeck-update-lock-2']);
  });

  it('of many instances racing for one slot exactly one gets it, and the slot names its node and domain', async () => {
    const server = leaseServer();
    const clock = { now: 1_000_000 };
    const racers = Array.from({ length: 5 }, (_, i) => instance(server, `op@host-${i}`, 2, clock));
    await Promise.all(racers.map((r) => r.survey()));
    const won = await Promise.all(racers.map((r, i) => r.take('flatdeck-update-lock-1', `worker-${i}`, 'zone-a')));
    assert.equal(won.filter(Boolean).length, 1);
    const [slot] = (await racers[0]!.survey()).filter((s) => s.name === 'flatdeck-update-lock-1');
    const winner = won.findIndex(Boolean);
    assert.deepEqual(slot, { name: 'flatdeck-update-lock-1', holder: `op@host-${winner}`, node: `worker-${winner}`, domain: 'zone-a', live: true });
  });

  it('a held slot is not taken, also not by another turn of the same instance; a silent holder\'s slot is free after the lease duration', async () => {
    const server = leaseServer();
    const clock = { now: 1_000_000 };
    const a = instance(server, 'op@a', 2, clock);
    const b = instance(server, 'op@b', 2, clock);
    assert.ok(await a.take('flatdeck-update-lock', 'worker-1', 'zone-a'));
    assert.equal(await a.take('flatdeck-update-lock', 'worker-2', 'zone-b'), null, 'held by this instance for another node');
    assert.equal(await b.take('flatdeck-update-lock', 'worker-3', 'zone-c'), null);
    clock.now += 14_000;
    assert.equal(await b.take('flatdeck-update-lock', 'worker-3', 'zone-c'), null, 'b saw no renewal for only 14 s');
    clock.now += 2_000;
    const taken = await b.take('flatdeck-update-lock', 'worker-3', 'zone-c');
    assert.ok(taken);
    assert.equal(await taken.confirmHeld(), true);
    assert.equal(server.leases.get('flatdeck-update-lock')?.spec?.leaseTransitions, 1);
  });

  it('a released slot is free at once, and slots beyond our K that a larger-K instance created are still seen', async () => {
    const server = leaseServer();
    const clock = { now: 1_000_000 };
    const big = instance(server, 'op@big', 3, clock);
    const small = instance(server, 'op@small', 1, clock);
    const held = await big.take('flatdeck-update-lock-2', 'worker-7', 'zone-c');
    assert.ok(held);
    await big.take('flatdeck-update-lock', 'worker-1', 'zone-a');
    await big.take('flatdeck-update-lock-1', 'worker-2', 'zone-b');
    assert.deepEqual((await small.survey()).filter((s) => s.live).map((s) => s.node), ['worker-1', 'worker-2', 'worker-7']);
    await held.release();
    assert.deepEqual((await small.survey()).filter((s) => s.live).map((s) => s.node), ['worker-1', 'worker-2']);
  });
});
