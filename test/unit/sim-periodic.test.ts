// locksmithd's reboot windows (pkg/timeutil/periodic.go) as the simulated locksmithd computes them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationToStart, parseGoDuration, parsePeriodic, type Periodic } from '../../sim/fleet/periodic.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

function periodic(start: string, length: string): Periodic {
  const parsed = parsePeriodic(start, length);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return parsed.value;
}

describe('reboot window', () => {
  it('parses Go durations', () => {
    assert.equal(parseGoDuration('1h30m'), 90 * MIN);
    assert.equal(parseGoDuration('1.5h'), 90 * MIN);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('90'), null, 'a number without unit is not a duration');
  });

  it('rejects what locksmithd rejects', () => {
    assert.match((parsePeriodic('Thursday 04:00', '1h') as { error: string }).error, /invalid day of week/);
    assert.match((parsePeriodic('25:00', '1h') as { error: string }).error, /hour must be/);
    assert.match((parsePeriodic('04:00', 'soon') as { error: string }).error, /unable to parse duration/);
    assert.match((parsePeriodic('04:00', '24h') as { error: string }).error, /cannot exceed period/);
    assert.match((parsePeriodic('04:00 05:00 x', '1h') as { error: string }).error, /wrong number of fields/);
  });

  it('daily: waits until today\'s start, or tomorrow\'s once today\'s window is over; zero or less inside it', () => {
    const w = periodic('04:00', '1h');
    assert.equal(durationToStart(w, new Date('2026-12-04T03:00:00Z')), HOUR);
    assert.ok(durationToStart(w, new Date('2026-12-04T04:30:00Z')) <= 0, 'inside the window');
    assert.equal(durationToStart(w, new Date('2026-12-04T05:30:00Z')), 22 * HOUR + 30 * MIN);
  });

  it('weekly: the named day (case-insensitive) at the given time', () => {
    const w = periodic('thu 04:00', '30m');
    // 2026-12-04 is a Friday: next Thursday is six days and a few hours away.
    assert.equal(durationToStart(w, new Date('2026-12-04T04:00:00Z')), 6 * 24 * HOUR);
    assert.ok(durationToStart(w, new Date('2026-12-03T04:10:00Z')) <= 0);
  });
});
