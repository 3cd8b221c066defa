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

  it('adds serial work node after node while downloads overlap it', () => {
    const d = new StepDurations();
    for (const [s, ms] of [['update', 100], ['lock', 1], ['cordon', 1], ['drain', 10], ['reboot', 30], ['verify', 5], ['uncordon', 1], ['release', 1], ['health-gate', 0], ['settle', 1]] as const) d.record(s, ms);
    const serial = 1 + 1 + 10 + 30 + 5 + 1 + 1 + 0 + 1;
    const allSteps = ['update', 'lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon', 'release', 'health-gate', 'settle'] as const;
    const waiting = { remainingSteps: allSteps, elapsedInCurrentMs: 0, serial: false };
    // Three nodes, downloads in parallel: the download (100) plus one node's serial part dominates.
    assert.equal(rolloutEtaMs(d, [waiting, waiting, waiting]), 100 + serial);
    // Downloads done: three serial parts back to back, the first already 20 ms into its reboot.
    const ready = { remainingSteps: allSteps.slice(1), elapsedInCurrentMs: 0, serial: true };
    const rebooting = { remainingSteps: allSteps.slice(4), elapsedInCurrentMs: 20, serial: true };
    assert.equal(rolloutEtaMs(d, [rebooting, ready, ready]), (serial - 12 - 20) + 2 * serial);
  });
});
