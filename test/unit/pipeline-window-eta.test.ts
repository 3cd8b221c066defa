import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StepDurations, rolloutEtaMs } from '../../app/pipeline/eta.ts';
import { isInWindow, nextWindowOpening, parseWindowSpec } from '../../app/pipeline/reboot-window.ts';

describe('reboot window math', () => {
  const berlinThuNight = parseWindowSpec('Thu 23:00+1h30m@Europe/Berlin');

  it('reads the window in its own time zone, not UTC', () => {
    // 22:30 UTC on Thu 2026-11-26 is 23:30 in Berlin (CET, UTC+1): inside.
    assert.equal(isInWindow(berlinThuNight, new Date('2026-11-26T22:30:00Z')), true);
    // 23:30 UTC is 00:30 Fri in Berlin: still inside, the window runs past midnight.
    assert.equal(isInWindow(berlinThuNight, new Date('2026-11-26T23:29:00Z')), true);
    // 23:30 UTC = 00:30+1h → 00:30 Berlin is 90 min after 23:00: the end is exclusive.
    assert.equal(isInWindow(berlinThuNight, new Date('2026-11-26T23:30:00Z')), false);
    assert.equal(isInWindow(berlinThuNight, new Date('2026-11-26T21:59:00Z')), false);
  });

  it('finds the next opening a week ahead, in real time', () => {
    const next = nextWindowOpening(berlinThuNight, new Date('2026-11-27T08:00:00Z'));
    assert.equal(next.toISOString(), '2026-12-03T22:00:00.000Z');
    const now = new Date('2026-11-26T22:45:00Z');
    assert.equal(nextWindowOpening(berlinThuNight, now), now);
  });

  it('keeps the wall-clock opening across a DST change (New York, Nov 1 2026)', () => {
    const w = parseWindowSpec('Sun 03:00+1h@America/New_York');
    // Saturday Oct 31, 12:00 EDT (UTC-4); next opening Sun Nov 1 03:00 EST (UTC-5) = 08:00 UTC.
    assert.equal(nextWindowOpening(w, new Date('2026-10-31T16:00:00Z')).toISOString(), '2026-11-01T08:00:00.000Z');
  });

  it('wraps from Saturday into Sunday', () => {
    const w = parseWindowSpec('Sat 22:00+4h');
    assert.equal(isInWindow(w, new Date('2026-11-29T01:00:00Z')), true); // Sun 01:00 UTC
    assert.equal(isInWindow(w, new Date('2026-11-29T02:00:00Z')), false);
  });

  it('defaults to every day in UTC and rejects malformed specs', () => {
    const w = parseWindowSpec('02:00+2h');
    assert.equal(w.days.length, 7);
    assert.equal(w.timeZone, 'UTC');
    assert.throws(() => parseWindowSpec('Thu 25:00+1h'));
    assert.throws(() => parseWindowSpec('Thu 23:00'));
    assert.throws(() => parseWindowSpec('Thu 23:00+1h@Mars/Olympus'));
  });

  it('reads FLUO\'s START,LENGTH form as the same window', () => {
    assert.deepEqual(parseWindowSpec('Thu 04:00,1h30m'), parseWindowSpec('Thu 04:00+1h30m'));
    assert.deepEqual(parseWindowSpec('Sat 02:00,4h'), { days: ['Sat'], start: '02:00', lengthMinutes: 240, timeZone: 'UTC' });
  });
});

describe('ETA from measured step durations', () => {
  it('is unknown until every needed step was measured at least once', () => {
    const d = new StepDurations();
    d.record('drain', 10_000);
    assert.equal(d.remaining(['drain', 'reboot']), null);
    d.record('reboot', 60_000);
    assert.equal(d.remaining(['drain', 'reboot'], 4_000), 6_000 + 60_000);
  });

  it('uses the median so one slow node does not dominate', () => {
    const d = new StepDurations();
    for (const ms of [10, 12, 500]) d.record('drain', ms);
    assert.equal(d.typical('drain'), 12);
    d.record('drain', 14);
    assert.equal(d.typical('drain'), 13);
  });

  it('adds serial work node after node, each after its own node\'s download', () => {
    const d = new StepDurations();
    for (const [s, ms] of [['update', 100], ['lock', 1], ['cordon', 1], ['drain', 10], ['reboot', 30], ['verify', 5], ['uncordon', 1], ['release', 1], ['health-gate', 0], ['settle', 1]] as const) d.record(s, ms);
    const serial = 1 + 1 + 10 + 30 + 5 + 1 + 1 + 0 + 1;
    const allSteps = ['update', 'lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon', 'release', 'health-gate', 'settle'] as const;
    const waiting = { remainingSteps: allSteps, elapsedInCurrentMs: 0, serial: false };
    // Three nodes, downloads in parallel: no serial part starts before its node's download is done, then the
    // three serial parts run back to back.
    assert.equal(rolloutEtaMs(d, [waiting, waiting, waiting]), 100 + 3 * serial);
    // Downloads done: three serial parts back to back, the first already 20 ms into its reboot.
    const ready = { remainingSteps: allSteps.slice(1), elapsedInCurrentMs: 0, serial: true };
    const rebooting = { remainingSteps: allSteps.slice(4), elapsedInCurrentMs: 20, serial: true };
    assert.equal(rolloutEtaMs(d, [rebooting, ready, ready]), (serial - 12 - 20) + 2 * serial);
  });

  describe('with --max-unavailable K', () => {
    const d = new StepDurations();
    for (const [s, ms] of [['update', 100], ['lock', 1], ['cordon', 1], ['drain', 10], ['reboot', 30], ['verify', 5], ['uncordon', 1], ['release', 1], ['settle', 2]] as const) d.record(s, ms);
    const serial = 1 + 1 + 10 + 30 + 5 + 1 + 2 + 1;
    const turn = ['lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon', 'settle', 'release'] as const;
    const ready = (domain: string | null) => ({ remainingSteps: turn, elapsedInCurrentMs: 0, serial: true, domain });
    const zones = (n: number, count: number) => Array.from({ length: n }, (_, i) => ready(`zone-${i % count}`));

    it('runs the remaining nodes in waves of K when the zones allow it', () => {
      assert.equal(rolloutEtaMs(d, zones(9, 3), 1), 9 * serial);
      assert.equal(rolloutEtaMs(d, zones(9, 3), 3), 3 * serial);
      // 10 nodes, K=3: four waves, the last one node
      assert.equal(rolloutEtaMs(d, zones(10, 3), 3), 4 * serial);
      // nodes without a zone label are each a domain of their own, as the lock counts them
      assert.equal(rolloutEtaMs(d, Array.from({ length: 6 }, () => ready(null)), 3), 2 * serial);
    });

    it('never counts two nodes of one failure domain at once', () => {
      // one zone: K slots do not help, the nodes go one by one
      assert.equal(rolloutEtaMs(d, zones(6, 1), 3), 6 * serial);
      // two zones and K=3: two at a time, and the busier zone (4 of 7 nodes) sets the end
      assert.equal(rolloutEtaMs(d, zones(7, 2), 3), 4 * serial);
    });

    it('counts the turns already under way first, from where they are', () => {
      // zone-a's node is 20 ms into its reboot; the other zone-a node waits for it, zone-b's starts at once
      const rebooting = { remainingSteps: turn.slice(3), elapsedInCurrentMs: 20, serial: true, domain: 'zone-a' };
      const rest = serial - 12 - 20;
      assert.equal(rolloutEtaMs(d, [ready('zone-a'), ready('zone-b'), rebooting], 2), rest + serial);
      // and a download still running holds its node back even with a turn free
      const downloading = { remainingSteps: ['update', ...turn] as const, elapsedInCurrentMs: 40, serial: false, domain: 'zone-c' };
      assert.equal(rolloutEtaMs(d, [rebooting, downloading], 2), 60 + serial);
    });
  });
});
