// The simulated update_engine daemon follows the real transitions of flatcar/update_engine
// (update_attempter.cc) whatever sequence of client calls, faults and elapsed time it is given.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ManualClock } from '../../sim/fleet/clock.ts';
import { createRandom } from '../../sim/fleet/random.ts';
import {
  UpdateEngine,
  UPDATE_ENGINE_TIMINGS,
  type FailurePhase,
  type OmahaResponse,
  type UpdateEngineStatus,
  type UpdateOperation,
} from '../../sim/fleet/update-engine.ts';

const LEGAL: Record<UpdateOperation, readonly UpdateOperation[]> = {
  // IDLE → IDLE: the broadcast main.cc queues at start-up
  UPDATE_STATUS_IDLE: ['UPDATE_STATUS_IDLE', 'UPDATE_STATUS_CHECKING_FOR_UPDATE'],
  UPDATE_STATUS_CHECKING_FOR_UPDATE: ['UPDATE_STATUS_UPDATE_AVAILABLE', 'UPDATE_STATUS_IDLE', 'UPDATE_STATUS_REPORTING_ERROR_EVENT'],
  UPDATE_STATUS_UPDATE_AVAILABLE: ['UPDATE_STATUS_DOWNLOADING', 'UPDATE_STATUS_REPORTING_ERROR_EVENT'],
  UPDATE_STATUS_DOWNLOADING: ['UPDATE_STATUS_DOWNLOADING', 'UPDATE_STATUS_FINALIZING', 'UPDATE_STATUS_REPORTING_ERROR_EVENT'],
  UPDATE_STATUS_VERIFYING: [],
  UPDATE_STATUS_FINALIZING: ['UPDATE_STATUS_UPDATED_NEED_REBOOT', 'UPDATE_STATUS_REPORTING_ERROR_EVENT'],
  // no transition out: -reset_status assigns IDLE without a signal; scheduled checks re-announce NEED_REBOOT
  UPDATE_STATUS_UPDATED_NEED_REBOOT: ['UPDATE_STATUS_UPDATED_NEED_REBOOT'],
  UPDATE_STATUS_REPORTING_ERROR_EVENT: ['UPDATE_STATUS_IDLE'],
};

const SIZE = 458_234_665;

interface World {
  clock: ManualClock;
  engine: UpdateEngine;
  history: { status: UpdateEngineStatus; previous: UpdateEngineStatus }[];
  faults: { failAt: FailurePhase | null; downloadStalled: boolean };
  omaha: { response: OmahaResponse };
}

function world(opts: { timeScale?: number; scheduledChecks?: boolean; bytesPerSecond?: number; seed?: number } = {}): World {
  const clock = new ManualClock();
  const faults = { failAt: null as FailurePhase | null, downloadStalled: false };
  const omaha = { response: { kind: 'update', version: '4757.2.3', size: SIZE } as OmahaResponse };
  const engine = new UpdateEngine({
    clock,
    timeScale: opts.timeScale ?? 1,
    random: opts.seed === undefined ? () => 0.5 : createRandom(opts.seed).next,
    omahaCheck: () => omaha.response,
    faults: () => faults,
    bytesPerSecond: opts.bytesPerSecond ?? SIZE / 90,
    scheduledChecks: opts.scheduledChecks ?? false,
  });
  const history: World['history'] = [];
  engine.subscribe((status, previous) => history.push({ status, previous }));
  return { clock, engine, history, faults, omaha };
}

type Step =
  | { type: 'attempt' }
  | { type: 'reset' }
  | { type: 'advance'; ms: number }
  | { type: 'fault'; failAt: FailurePhase | null; stalled: boolean }
  | { type: 'omaha'; response: OmahaResponse };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Step>({ type: 'attempt' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ type: 'reset' }) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 150_000 }).map((ms): Step => ({ type: 'advance', ms })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ failAt: fc.constantFrom<FailurePhase | null>(null, null, 'check', 'download', 'finalize'), stalled: fc.boolean() })
      .map((f): Step => ({ type: 'fault', ...f })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<OmahaResponse>({ kind: 'no-update' }, { kind: 'error' }, { kind: 'update', version: '4803.1.0', size: 466_616_320 }).map((response): Step => ({ type: 'omaha', response })),
  },
);

function apply(w: World, step: Step): void {
  switch (step.type) {
    case 'attempt': {
      const before = w.engine.status().currentOperation;
      const started = w.engine.attemptUpdate();
      assert.equal(started, before === 'UPDATE_STATUS_IDLE', 'a check starts exactly when the daemon is IDLE');
      if (!started) assert.equal(w.engine.status().currentOperation, before, 'a check while busy is skipped');
      break;
    }
    case 'reset': {
      const before = w.engine.status().currentOperation;
      const ok = w.engine.resetStatus();
      assert.equal(ok, before === 'UPDATE_STATUS_IDLE' || before === 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
      if (!ok) assert.equal(w.engine.status().currentOperation, before);
      break;
    }
    case 'advance':
      w.clock.advance(step.ms);
      break;
    case 'fault':
      w.faults.failAt = step.failAt;
      w.faults.downloadStalled = step.stalled;
      break;
    case 'omaha':
      w.omaha.response = step.response;
      break;
  }
}

describe('simulated update_engine state machine', () => {
  it('only makes transitions update_attempter.cc makes, whatever the sequence of calls, faults and time', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), fc.integer(), (steps, seed) => {
        const w = world({ seed });
        for (const step of steps) apply(w, step);
        for (const { status, previous } of w.history) {
          assert.ok(LEGAL[previous.currentOperation].includes(status.currentOperation), `${previous.currentOperation} → ${status.currentOperation}`);
          assert.notEqual(status.currentOperation, 'UPDATE_STATUS_VERIFYING', 'VERIFYING is never set');
          assert.ok(status.progress >= 0 && status.progress <= 1);
          if (status.currentOperation !== 'UPDATE_STATUS_DOWNLOADING') assert.equal(status.progress, 0, `PROGRESS is 0 in ${status.currentOperation}`);
          if (status.currentOperation === 'UPDATE_STATUS_IDLE') assert.equal(status.newVersion, '0.0.0');
          if (status.currentOperation === 'UPDATE_STATUS_DOWNLOADING') assert.notEqual(status.newVersion, '0.0.0');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('progress never decreases within one download and NEED_REBOOT comes only right after FINALIZING', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), fc.integer(), (steps, seed) => {
        const w = world({ seed });
        for (const step of steps) apply(w, step);
        let lastProgress = 0;
        for (const { status, previous } of w.history) {
          if (status.currentOperation === 'UPDATE_STATUS_DOWNLOADING') {
            if (previous.currentOperation === 'UPDATE_STATUS_DOWNLOADING') assert.ok(status.progress > lastProgress, 'each re-notify carries more progress');
            lastProgress = status.progress;
          } else {
            lastProgress = 0;
          }
          if (status.currentOperation === 'UPDATE_STATUS_UPDATED_NEED_REBOOT') assert.ok(['UPDATE_STATUS_FINALIZING', 'UPDATE_STATUS_UPDATED_NEED_REBOOT'].includes(previous.currentOperation));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('without faults a check from IDLE ends in UPDATED_NEED_REBOOT with the offered version, through every phase', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 2, noNaN: true }), fc.integer({ min: 60, max: 120 }), (timeScale, downloadSeconds) => {
        const w = world({ timeScale, bytesPerSecond: SIZE / downloadSeconds });
        assert.equal(w.engine.attemptUpdate(), true);
        w.clock.advance((downloadSeconds * 1000 + 10_000) * timeScale);
        const ops = [...new Set(w.history.map((h) => h.status.currentOperation))];
        assert.deepEqual(ops, [
          'UPDATE_STATUS_IDLE',
          'UPDATE_STATUS_CHECKING_FOR_UPDATE',
          'UPDATE_STATUS_UPDATE_AVAILABLE',
          'UPDATE_STATUS_DOWNLOADING',
          'UPDATE_STATUS_FINALIZING',
          'UPDATE_STATUS_UPDATED_NEED_REBOOT',
        ]);
        const final = w.engine.status();
        assert.equal(final.newVersion, '4757.2.3');
        assert.equal(final.newSize, SIZE);
        assert.ok(final.lastCheckedTime > 0);
      }),
      { numRuns: 100 },
    );
  });

  it('re-notifies the download at about every percent, as kDeltaPercent does', () => {
    const w = world({ bytesPerSecond: SIZE / 90 });
    w.engine.attemptUpdate();
    w.clock.advance(120_000);
    const downloading = w.history.filter((h) => h.status.currentOperation === 'UPDATE_STATUS_DOWNLOADING');
    assert.ok(downloading.length >= 95 && downloading.length <= 101, `got ${downloading.length} download notifications`);
  });

  it('a download takes 60–120 s at timeScale 1 for the fleet bandwidths', () => {
    for (const seconds of [60, 120]) {
      const w = world({ bytesPerSecond: SIZE / seconds });
      w.engine.attemptUpdate();
      const start = w.clock.now();
      while (w.engine.status().currentOperation !== 'UPDATE_STATUS_FINALIZING') w.clock.advance(100);
      const elapsed = (w.clock.now() - start) / 1000;
      assert.ok(elapsed >= seconds && elapsed <= seconds + UPDATE_ENGINE_TIMINGS.check / 1000 + 1, `download phase took ${elapsed} s`);
    }
  });

  it('a stalled download makes no progress until the stall ends', () => {
    const w = world();
    w.engine.attemptUpdate();
    w.clock.advance(20_000);
    const before = w.engine.status();
    assert.equal(before.currentOperation, 'UPDATE_STATUS_DOWNLOADING');
    w.faults.downloadStalled = true;
    w.clock.advance(600_000);
    assert.deepEqual(w.engine.status(), before);
    w.faults.downloadStalled = false;
    w.clock.advance(200_000);
    assert.equal(w.engine.status().currentOperation, 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
  });

  it('a failed download reports the error event and returns to IDLE with NEW_VERSION 0.0.0', () => {
    const w = world();
    w.faults.failAt = 'download';
    w.engine.attemptUpdate();
    w.clock.advance(300_000);
    const ops = w.history.map((h) => h.status.currentOperation);
    assert.equal(ops.at(-2), 'UPDATE_STATUS_REPORTING_ERROR_EVENT');
    assert.deepEqual(w.engine.status(), { lastCheckedTime: w.engine.status().lastCheckedTime, progress: 0, currentOperation: 'UPDATE_STATUS_IDLE', newVersion: '0.0.0', newSize: 0 });
  });

  it('starts in NEED_REBOOT when the marker exists, and reset_status returns it to IDLE', () => {
    const clock = new ManualClock();
    const marker = { staged: true, present: () => marker.staged, set: (present: boolean) => (marker.staged = present) };
    const engine = new UpdateEngine({ clock, timeScale: 1, random: () => 0, omahaCheck: () => ({ kind: 'no-update' }), faults: () => ({ failAt: null, downloadStalled: false }), bytesPerSecond: 1e6, scheduledChecks: false, completedMarker: marker });
    assert.equal(engine.status().currentOperation, 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
    assert.equal(engine.attemptUpdate(), false, 'no new check until reboot');
    assert.equal(engine.resetStatus(), true);
    assert.equal(engine.status().currentOperation, 'UPDATE_STATUS_IDLE');
    assert.equal(marker.staged, false, 'ResetStatus deletes the completion marker');
  });

  it('runs its own periodic checks 2–12 min after start when scheduled checks are on', () => {
    const w = world({ scheduledChecks: true });
    w.clock.advance(2 * 60_000 - 1);
    assert.deepEqual(w.history.map((h) => h.status.currentOperation), ['UPDATE_STATUS_IDLE'], 'only the start-up broadcast');
    w.clock.advance(10 * 60_000 + 1);
    assert.equal(w.history[1]?.status.currentOperation, 'UPDATE_STATUS_CHECKING_FOR_UPDATE');
  });

  it('stops all timers on shutdown', () => {
    const w = world({ scheduledChecks: true });
    w.engine.attemptUpdate();
    w.clock.advance(5_000);
    w.engine.shutdown();
    assert.equal(w.clock.pendingTimers(), 0);
  });
});

describe('update_engine across restarts, resets and its own schedule (update_attempter.cc, main.cc)', () => {
  function staged(scheduledChecks = false) {
    const w = world({ scheduledChecks });
    const marker = { present: false };
    const bootFlags: number[] = [];
    const engine = new UpdateEngine({
      clock: w.clock,
      timeScale: 1,
      random: () => 0.5,
      omahaCheck: () => w.omaha.response,
      faults: () => w.faults,
      bytesPerSecond: SIZE / 60,
      scheduledChecks,
      completedMarker: { present: () => marker.present, set: (p) => (marker.present = p) },
      updateBootFlags: () => bootFlags.push(w.clock.now()),
    });
    const history: World['history'] = [];
    engine.subscribe((status, previous) => history.push({ status, previous }));
    return { w, engine, marker, bootFlags, history };
  }

  it('a daemon restarted while an update is staged restores only UPDATED_NEED_REBOOT: NEW_VERSION 0.0.0, NEW_SIZE 0', () => {
    const { w, engine, marker } = staged();
    engine.attemptUpdate();
    w.clock.advance(120_000);
    assert.equal(engine.status().newVersion, '4757.2.3');
    assert.equal(marker.present, true, 'the completion marker is written at NEED_REBOOT');
    engine.shutdown();
    const restarted = new UpdateEngine({
      clock: w.clock, timeScale: 1, random: () => 0.5, omahaCheck: () => w.omaha.response, faults: () => w.faults, bytesPerSecond: SIZE / 60, scheduledChecks: false,
      completedMarker: { present: () => marker.present, set: (p) => (marker.present = p) },
    });
    assert.deepEqual(restarted.status(), { lastCheckedTime: 0, progress: 0, currentOperation: 'UPDATE_STATUS_UPDATED_NEED_REBOOT', newVersion: '0.0.0', newSize: 0 });
  });

  it('-reset_status sends no StatusUpdate signal', () => {
    const { w, engine, history } = staged();
    engine.attemptUpdate();
    w.clock.advance(120_000);
    const signals = history.length;
    assert.equal(engine.resetStatus(), true);
    w.clock.advance(60_000);
    assert.equal(history.length, signals, 'watchers still believe UPDATED_NEED_REBOOT');
    assert.equal(engine.status().currentOperation, 'UPDATE_STATUS_IDLE');
  });

  it('announces its state once at start-up and re-announces NEED_REBOOT at every scheduled check (about every 45 min)', () => {
    const { w, engine, history } = staged(true);
    w.clock.advance(1);
    assert.deepEqual(history.map((h) => h.status.currentOperation), ['UPDATE_STATUS_IDLE'], 'the start-up broadcast');
    engine.attemptUpdate();
    w.clock.advance(120_000);
    const staging = history.length;
    w.clock.advance(3 * 60 * 60_000);
    const repeats = history.slice(staging).filter((h) => h.previous.currentOperation === 'UPDATE_STATUS_UPDATED_NEED_REBOOT' && h.status.currentOperation === 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
    assert.ok(repeats.length >= 3 && repeats.length <= 5, `${repeats.length} re-announcements in 3 h`);
  });

  it('marks the boot good at the first update check, before the 45 s timer, and only once', () => {
    const { w, engine, bootFlags } = staged();
    w.clock.advance(10_000);
    engine.attemptUpdate();
    assert.equal(bootFlags.length, 1);
    w.clock.advance(60_000);
    assert.equal(bootFlags.length, 1);
    const idle = staged();
    idle.w.clock.advance(45_000);
    assert.equal(idle.bootFlags.length, 1, 'without a check: 45 s after start');
  });

  it('does not mark the boot good when it starts with the completion marker present', () => {
    const clock = new ManualClock();
    const bootFlags: number[] = [];
    new UpdateEngine({
      clock, timeScale: 1, random: () => 0.5, omahaCheck: () => ({ kind: 'no-update' }), faults: () => ({ failAt: null, downloadStalled: false }), bytesPerSecond: 1e6, scheduledChecks: false,
      completedMarker: { present: () => true, set: () => undefined },
      updateBootFlags: () => bootFlags.push(clock.now()),
    });
    clock.advance(120_000);
    assert.deepEqual(bootFlags, []);
  });
});
