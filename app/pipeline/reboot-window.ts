import type { RebootWindow } from '../api/pipeline.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const WEEK_MINUTES = 7 * 24 * 60;

/** Minutes since Sunday 00:00 on the wall clock of `timeZone` at instant `at`. */
function weekMinute(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = DAYS.indexOf(get('weekday') as (typeof DAYS)[number]);
  if (day < 0) throw new RangeError(`cannot read the weekday in time zone ${timeZone}`);
  return day * 1440 + Number(get('hour')) * 60 + Number(get('minute'));
}

function windowStarts(w: RebootWindow): number[] {
  const [h, m] = w.start.split(':').map(Number) as [number, number];
  return w.days.map((d) => DAYS.indexOf(d) * 1440 + h * 60 + m);
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/** For messages: `Mon,Tue 22:00 for 180 min, Europe/Berlin`. */
export function describeWindow(w: RebootWindow): string {
  return `${w.days.join(',')} ${w.start} for ${w.lengthMinutes} min, ${w.timeZone}`;
}

export function assertValidTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}

/** Is `at` inside one of the window's occurrences? Windows may run past midnight and past Saturday. */
export function isInWindow(w: RebootWindow, at: Date): boolean {
  const now = weekMinute(at, w.timeZone);
  return windowStarts(w).some((s) => mod(now - s, WEEK_MINUTES) < w.lengthMinutes);
}

/**
 * The instant the window next opens (or `at` itself when already open). Wall-clock minutes are converted
 * to real time and then corrected, so a DST change between now and the opening does not shift it by an hour.
 */
export function nextWindowOpening(w: RebootWindow, at: Date): Date {
  if (isInWindow(w, at)) return at;
  const base = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
  const now = weekMinute(base, w.timeZone);
  const ahead = Math.min(...windowStarts(w).map((s) => mod(s - now, WEEK_MINUTES)));
  const target = mod(now + ahead, WEEK_MINUTES);
  let candidate = new Date(base.getTime() + ahead * 60_000);
  for (let i = 0; i < 3; i++) {
    let drift = mod(weekMinute(candidate, w.timeZone) - target, WEEK_MINUTES);
    if (drift > WEEK_MINUTES / 2) drift -= WEEK_MINUTES;
    if (drift === 0) break;
    candidate = new Date(candidate.getTime() - drift * 60_000);
  }
  return candidate;
}

/**
 * Parses the CLI form `Mon,Tue 22:00+3h[@Europe/Berlin]` (days optional = every day, zone optional = UTC).
 * FLUO's `START,LENGTH` (`Thu 04:00,1h30m`) reads the same way, so one `--window` works for every command.
 */
export function parseWindowSpec(spec: string): RebootWindow {
  const m = /^(?:([A-Za-z,]+)\s+)?([01]\d|2[0-3]):([0-5]\d)(?:\+|,\s*)(?:(\d+)h)?(?:(\d+)m)?(?:@(\S+))?$/.exec(spec.trim());
  if (!m || (m[4] === undefined && m[5] === undefined)) {
    throw new RangeError(`"${spec}" is not a reboot window like "Mon,Tue 22:00+3h@Europe/Berlin" or "Thu 04:00,1h30m"`);
  }
  const days = m[1]
    ? m[1].split(',').map((d) => {
        const day = DAYS.find((x) => x.toLowerCase() === d.toLowerCase().slice(0, 3));
        if (!day) throw new RangeError(`"${d}" is not a day (Sun…Sat)`);
        return day;
      })
    : [...DAYS];
  const timeZone = m[6] ?? 'UTC';
  assertValidTimeZone(timeZone);
  const lengthMinutes = Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0);
  if (lengthMinutes < 1 || lengthMinutes > WEEK_MINUTES) throw new RangeError('the window length must be between 1 minute and 7 days');
  return { days, start: `${m[2]}:${m[3]}`, lengthMinutes, timeZone };
}
