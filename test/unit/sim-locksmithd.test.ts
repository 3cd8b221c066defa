// The simulated locksmithd decides like locksmithctl/daemon.go: strategy from its environment at start, exit on
// off, reboot at once on a node already staged, otherwise on the NEED_REBOOT signal, inside the reboot window,
// after 5 minutes when someone is logged in; never for etcd-lock without an etcd, never for unknown strategies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../sim/fleet/clock.ts';
import { Locksmithd, LOCKSMITHD_TIMINGS } from '../../sim/fleet/locksmithd.ts';
import type { UpdateOperation } from '../../sim/fleet/update-engine.ts';

interface Run {
  clock: ManualClock;
  reboots: number;
  exits: number[];
  log: string[];
  wall: string[];
  signal(op: UpdateOperation): void;
}

function start(env: Record<string, string>, opts: { op?: UpdateOperation | null; terminals?: number; clock?: ManualClock } = {}): Run {
  const listeners = new Set<(op: UpdateOperation) => void>();
  const run: Run = {
    clock: opts.clock ?? new ManualClock(),
    reboots: 0,
    exits: [],
    log: [],
    wall: [],
    signal: (op) => [...listeners].forEach((l) => l(op)),
  };
  new Locksmithd({
    clock: run.clock,
    timeScale: 1,
    environment: new Map(Object.entries(env)),
    updateEngineStatus: () => (opts.op === undefined ? 'UPDATE_STATUS_IDLE' : opts.op),
    onStatusSignal: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    broadcast: (message) => {
      run.wall.push(message);
      return opts.terminals ?? 0;
    },
    reboot: () => run.reboots++,
    log: (m) => run.log.push(m),
    exit: (code) => run.exits.push(code),
  }).start();
  return run;
}

describe('simulated locksmithd', () => {
  it('reboots without a drain as soon as update_engine signals NEED_REBOOT (REBOOT_STRATEGY unset = reboot)', () => {
    const run = start({});
    run.signal('UPDATE_STATUS_DOWNLOADING');
    assert.equal(run.reboots, 0);
    run.signal('UPDATE_STATUS_UPDATED_NEED_REBOOT');
    assert.equal(run.reboots, 1);
    assert.deepEqual(run.exits, []);
    assert.ok(run.log.includes('locksmithd starting currentOperation="UPDATE_STATUS_IDLE" strategy="reboot"'));
  });

  it('reboots at once when it starts on a node that already has an update staged', () => {
    assert.equal(start({ REBOOT_STRATEGY: 'reboot' }, { op: 'UPDATE_STATUS_UPDATED_NEED_REBOOT' }).reboots, 1);
  });

  it('exits 0 at start with REBOOT_STRATEGY=off', () => {
    const run = start({ REBOOT_STRATEGY: 'off' }, { op: 'UPDATE_STATUS_UPDATED_NEED_REBOOT' });
    assert.deepEqual(run.exits, [0]);
    assert.equal(run.reboots, 0);
  });

  it('exits 1 when update_engine is not on the bus', () => {
    const run = start({}, { op: null });
    assert.deepEqual(run.exits, [1]);
  });

  it('with an unknown strategy waits like any other, then fails (exit 1) instead of rebooting', () => {
    const run = start({ REBOOT_STRATEGY: 'best-effort' });
    assert.deepEqual(run.exits, []);
    run.signal('UPDATE_STATUS_UPDATED_NEED_REBOOT');
    assert.deepEqual(run.exits, [1]);
    assert.equal(run.reboots, 0);
    assert.ok(run.log.includes('unknown strategy: best-effort'));
  });

  it('etcd-lock: no etcd answers on the node, so the lock is never taken and it never reboots', () => {
    const run = start({ REBOOT_STRATEGY: 'etcd-lock' }, { op: 'UPDATE_STATUS_UPDATED_NEED_REBOOT' });
    assert.deepEqual(run.exits, [1]);
    assert.equal(run.reboots, 0);
  });

  it('waits for the reboot window (LOCKSMITHD_ names first, REBOOT_WINDOW_* as fallback)', () => {
    // ManualClock starts on Thursday 2026-11-26 12:00 UTC.
    const run = start({ LOCKSMITHD_REBOOT_WINDOW_START: '14:00', LOCKSMITHD_REBOOT_WINDOW_LENGTH: '1h', REBOOT_WINDOW_START: '12:00', REBOOT_WINDOW_LENGTH: '1h' });
    run.signal('UPDATE_STATUS_UPDATED_NEED_REBOOT');
    run.clock.advance(2 * 3_600_000 - 1);
    assert.equal(run.reboots, 0);
    run.clock.advance(1);
    assert.equal(run.reboots, 1);
    const fallback = start({ REBOOT_WINDOW_START: 'Thu 11:30', REBOOT_WINDOW_LENGTH: '1h' }, { op: 'UPDATE_STATUS_UPDATED_NEED_REBOOT' });
    assert.equal(fallback.reboots, 1, 'already inside the window');
  });

  it('fails on half a window or an unparsable one', () => {
    assert.deepEqual(start({ REBOOT_WINDOW_START: '04:00' }, { op: 'UPDATE_STATUS_UPDATED_NEED_REBOOT' }).exits, [1]);
    assert.deepEqual(start({ REBOOT_WINDOW_START: 'someday', REBOOT_WINDOW_LENGTH: '1h' }, { op: 'UPDATE_STATUS_UPDATED_NEED_REBOOT' }).exits, [1]);
  });

  it('warns logged-in users and waits 5 minutes before rebooting', () => {
    const run = start({}, { op: 'UPDATE_STATUS_UPDATED_NEED_REBOOT', terminals: 2 });
    assert.deepEqual(run.wall, ['System reboot in 5 minutes!']);
    run.clock.advance(LOCKSMITHD_TIMINGS.loginsDelay - 1);
    assert.equal(run.reboots, 0);
    run.clock.advance(1);
    assert.equal(run.reboots, 1);
  });
});
