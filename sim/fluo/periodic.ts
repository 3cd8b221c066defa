// The operator's reboot window (pkg/operator/periodic.go): "[Day ]HH:MM" plus a Go duration, daily or weekly,
// evaluated in the operator container's time zone (UTC).
const WEEKDAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const DAY_MS = 24 * 3600 * 1000;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds. */
export function parseGoDuration(text: string): number {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(text);
  if (!m) throw new Error(`time: invalid duration "${text}"`);
  let total = 0;
  for (const part of (m[2] as string).matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * (UNIT_MS[part[2] as string] as number);
  return m[1] === '-' ? -total : total;
}

export class Periodic {
  private constructor(
    private readonly dayOfWeek: number,
    private readonly hour: number,
    private readonly minute: number,
    readonly durationMs: number,
  ) {}

  /** ParsePeriodic: errors as FLUO reports them (the operator exits on them). */
  static parse(start: string, duration: string): Periodic {
    const fields = start.split(/\s+/).filter(Boolean);
    if (fields.length === 0) throw new Error('parsing start: wrong number of fields');
    let dayOfWeek = -1;
    let time = fields[0] as string;
    if (fields.length === 2) {
      const dow = WEEKDAYS[(fields[0] as string).toLowerCase()];
      if (dow === undefined) throw new Error(`parsing start: invalid day of week "${fields[0]}"`);
      dayOfWeek = dow;
      time = fields[1] as string;
    }
    const hm = /^([+-]?\d+):([+-]?\d+)/.exec(time);
    if (!hm) throw new Error(`parsing start: invalid time of day "${time}"`);
    const hour = Number(hm[1]);
    const minute = Number(hm[2]);
    if (hour < 0 || hour > 23) throw new Error(`parsing start: invalid time of day "${time}": hour must be >= 0 and <= 23`);
    if (minute < 0 || minute > 59) throw new Error(`parsing start: invalid time of day "${time}": minute must be >= 0 and <= 59`);
    let durationMs: number;
    try {
      durationMs = parseGoDuration(duration);
    } catch (err) {
      throw new Error(`parsing duration: ${(err as Error).message}`);
    }
    if (durationMs < 0) throw new Error('duration cannot be negative');
    if ((dayOfWeek === -1 && durationMs >= DAY_MS) || durationMs >= 7 * DAY_MS) throw new Error('duration cannot exceed period');
    return new Periodic(dayOfWeek, hour, minute, durationMs);
  }

  private startOn(ref: Date, dayShift: number): number {
    return Date.UTC(ref.getUTCFullYear(), ref.getUTCMonth(), ref.getUTCDate() + dayShift, this.hour, this.minute, 0);
  }

  /** Start of the most recent window that started at or before `ref`. */
  previousStart(ref: Date): number {
    const weekday = ref.getUTCDay();
    if (this.dayOfWeek !== -1) {
      const thisWeek = this.startOn(ref, this.dayOfWeek - weekday);
      return ref.getTime() >= thisWeek ? thisWeek : this.startOn(ref, this.dayOfWeek - weekday - 7);
    }
    const today = this.startOn(ref, 0);
    return ref.getTime() >= today ? today : this.startOn(ref, -1);
  }

  /** insideRebootWindow: the most recent window may still be open. */
  contains(ref: Date): boolean {
    return ref.getTime() < this.previousStart(ref) + this.durationMs;
  }
}
