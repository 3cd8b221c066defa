// The simulated world most pipeline tests share: one per `describe`, with the fleet's safety invariants recorded
// from its start, so each test file states only its fleet and its cases.
import { after, afterEach, before } from 'node:test';
import { guardFleet, type FleetGuard, type NodeRecorder } from '../support/invariants-recorder.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { startWorld, type World, type WorldOptions } from './pipeline-world.ts';

export interface GuardedWorldOptions extends Omit<WorldOptions, 'addressBase'> {
  /** When the invariants are checked: after each test (the default), or once after all of them. */
  invariants?: 'after-each' | 'after-all';
}

export interface GuardedWorld extends World {
  /** The Nodes as recorded since the world started: when one was cordoned, what marks it carried. */
  readonly recorder: NodeRecorder;
  /** Checks the invariants now, with a case's own K or failure domains, over the time since the previous check. */
  assertSafe: FleetGuard['assertSafe'];
}

/**
 * Starts a world on a loopback block of this process before the enclosing `describe`'s tests and stops it after
 * them, failing a test (or the suite, with `invariants: 'after-all'`) that broke a fleet safety invariant.
 * The returned world is filled in once the `before` hook has run: read it only inside hooks and tests.
 */
export function guardedWorld(opts: GuardedWorldOptions): GuardedWorld {
  const { invariants = 'after-each', ...worldOpts } = opts;
  const world = {} as GuardedWorld;
  let started: World | undefined;
  let guard: FleetGuard | undefined;
  before(async () => {
    started = await startWorld({ ...worldOpts, addressBase: loopbackBlock().base });
    guard = await guardFleet(started.kc, started.sim.eventsPath);
    Object.assign(world, started, { recorder: guard.recorder, assertSafe: guard.assertSafe });
  });
  if (invariants === 'after-each') afterEach(() => guard?.assertSafe());
  after(async () => {
    try {
      if (invariants === 'after-all') await guard?.assertSafe();
    } finally {
      guard?.stop();
      await started?.stop();
    }
  });
  return world;
}
