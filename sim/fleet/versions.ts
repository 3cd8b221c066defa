// Flatcar release numbering: MAJOR = days since the COREOS_EPOCH (2013-07-01 UTC) when the branch was cut,
// MINOR = channel (0 alpha, 1 beta, 2 stable, 3 LTS), PATCH = point release (14-day cadence).
export type Channel = 'alpha' | 'beta' | 'stable' | 'lts';

export interface FlatcarVersion {
  major: number;
  minor: number;
  patch: number;
}

const COREOS_EPOCH_MS = Date.UTC(2013, 6, 1);
const DAY_MS = 86_400_000;
const CHANNEL_BY_MINOR: readonly Channel[] = ['alpha', 'beta', 'stable', 'lts'];
// Days from branch cut until the first release on the channel (promotion alpha → beta → stable).
const CHANNEL_DELAY_DAYS: Record<Channel, number> = { alpha: 0, beta: 35, stable: 90, lts: 180 };
// First releases that shipped the double-quoted /etc/os-release without codename (Flatcar#2176, #2421).
const FIRST_QUOTED_MAJOR: Record<Channel, number> = { alpha: 4628, beta: 4628, stable: 4757, lts: Infinity };

export function parseVersion(text: string): FlatcarVersion {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) throw new RangeError(`not a Flatcar version: ${text}`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function compareVersions(a: string, b: string): number {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  return va.major - vb.major || va.minor - vb.minor || va.patch - vb.patch;
}

export function channelOf(version: string): Channel {
  const channel = CHANNEL_BY_MINOR[parseVersion(version).minor];
  if (!channel) throw new RangeError(`version ${version} has no channel MINOR`);
  return channel;
}

export function usesQuotedOsRelease(version: string): boolean {
  return parseVersion(version).major >= FIRST_QUOTED_MAJOR[channelOf(version)];
}

export function branchCutDate(version: string): Date {
  return new Date(COREOS_EPOCH_MS + parseVersion(version).major * DAY_MS);
}

/** BUILD_ID as in /etc/os-release, e.g. 2025-10-30-1911 (deterministic per version). */
export function buildIdOf(version: string): string {
  const v = parseVersion(version);
  const days = v.major + CHANNEL_DELAY_DAYS[channelOf(version)] + v.patch * 14;
  const date = new Date(COREOS_EPOCH_MS + days * DAY_MS);
  const hhmm = String(((v.major * 7 + v.patch * 13) % 24) * 100 + ((v.major + v.patch * 11) % 60)).padStart(4, '0');
  return `${date.toISOString().slice(0, 10)}-${hhmm}`;
}

export function kernelVersionOf(version: string): string {
  const { major, patch } = parseVersion(version);
  if (major < 3800) return `5.15.${100 + (major % 80) + patch}-flatcar`;
  if (major < 4200) return `6.6.${10 + (major % 60) + patch}-flatcar`;
  return `6.12.${20 + (major % 50) + patch}-flatcar`;
}
