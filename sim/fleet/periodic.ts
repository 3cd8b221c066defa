// locksmithd's reboot windows (flatcar/locksmith pkg/timeutil/periodic.go): a start "[Day] HH:MM" (daily, or
// weekly with a day) and a Go duration. The node's local time is UTC, as on a Flatcar image.
const DAY_MS = 86_400_000;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export interface Periodic {
  /** 0 = Sunday; null = every day */
  dayOfWeek: number | null;
  hour: number;
  minute: number;
  durationMs: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Go's time.ParseDuration for the forms a window length takes ("1h30m", "90m", "1.5h", "0"). */
export function parseGoDuration(text: string): number | null {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  const m = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|ms|s|m|h))+)$/.exec(text);
  if (!m) return null;
  let total = 0;
  for (const part of (m[2] as string).matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * (UNIT_MS[part[2] as string] as number);
  return m[1] === '-' ? -total : total;
}

export function parsePeriodic(start: string, duration: string): Parsed<Periodic> {
  const fields = start.trim().split(/\s+/);
  let dayOfWeek: number | null = null;
  if (fields.length === 2) {
    const day = WEEKDAYS.indexOf((fields[0] as string).toLowerCase());
    if (day < 0) return { ok: false, error: `unable to parse start: invalid day of week "${fields[0]}"` };
    dayOfWeek = day;
    fields.shift();
  } else if (fields.length !== 1 || fields[0] === '') {
    return { ok: false, error: 'unable to parse start: wrong number of fields' };
  }
  const time = fields[0] as string;
  // fmt.Sscanf("%d:%d") reads two integers and ignores what follows them.
  const hm = /^([+-]?\d+):([+-]?\d+)/.exec(time);
  if (!hm) return { ok: false, error: `unable to parse start: invalid time of day "${time}"` };
  const hour = Number(hm[1]);
  const minute = Number(hm[2]);
  if (hour < 0 || hour > 23) return { ok: false, error: `unable to parse start: invalid time of day "${time}": hour must be >= 0 and <= 23` };
  if (minute < 0 || minute > 59) return { ok: false, error: `unable to parse start: invalid time of day "${time}": minute must be >= 0 and <= 59` };
  const durationMs = parseGoDuration(duration);
  if (durationMs === null) return { ok: false, error: `unable to parse duration: time: invalid duration "${duration}"` };
  if (durationMs < 0) return { ok: false, error: 'duration cannot be negative' };
  if ((dayOfWeek === null && durationMs >= DAY_MS) || durationMs >= 7 * DAY_MS) return { ok: false, error: 'duration cannot exceed period' };
  return { ok: true, value: { dayOfWeek, hour, minute, durationMs } };
}

/** The window's start on the day `daysFromRef` away from ref's day. */
function startOn(p: Periodic, ref: Date, daysFromRef: number): number {
  return Date.UTC(ref.getUTCFullYear(), ref.getUTCMonth(), ref.getUTCDate() + daysFromRef, p.hour, p.minute, 0);
}

function previousStart(p: Periodic, ref: Date): number {
  if (p.dayOfWeek === null) return startOn(p, ref, ref.getTime() >= startOn(p, ref, 0) ? 0 : -1);
  const thisWeek = startOn(p, ref, p.dayOfWeek - ref.getUTCDay());
  return ref.getTime() >= thisWeek ? thisWeek : startOn(p, ref, p.dayOfWeek - ref.getUTCDay() - 7);
}

function nextStart(p: Periodic, ref: Date): number {
  if (p.dayOfWeek === null) return startOn(p, ref, ref.getTime() < startOn(p, ref, 0) ? 0 : 1);
  const thisWeek = startOn(p, ref, p.dayOfWeek - ref.getUTCDay());
  return ref.getTime() < thisWeek ? thisWeek : startOn(p, ref, p.dayOfWeek - ref.getUTCDay() + 7);
}

/** Milliseconds until the window opens; zero or negative while inside a window. */
export function durationToStart(p: Periodic, ref: Date): number {
  const previous = previousStart(p, ref);
  if (previous + p.durationMs >= ref.getTime()) return previous - ref.getTime();
  return nextStart(p, ref) - ref.getTime();
}
