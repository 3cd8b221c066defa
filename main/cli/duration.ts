import { z } from 'zod';

/** `90`, `30s`, `10m`, `1h30m` → seconds. */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text.trim());
  if (!m || text.trim() === '' || (m[1] ?? m[2] ?? m[3]) === undefined) throw new Error(`"${text}" is not a duration like 90s, 10m or 1h30m`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** A zod field for a duration flag: its value in seconds, or a usage error naming the flag. */
export const duration = (flag: string) =>
  z.string().transform((s, c) => {
    try {
      return parseDuration(s);
    } catch (e) {
      c.addIssue({ code: 'custom', message: `${flag}: ${(e as Error).message}` });
      return z.NEVER;
    }
  });

/** Seconds → the same notation, rounded for a person: `40s`, `12m30s`, `1h05m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${String(s % 60).padStart(2, '0')}s` : ''}`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
