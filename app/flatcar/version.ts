import { parseFailure } from './errors.ts';

export type FlatcarChannel = 'alpha' | 'beta' | 'stable' | 'lts';

export interface FlatcarVersion {
  major: number;
  minor: number;
  patch: number;
  build?: string;                 // dev builds: `4799.0.0+nightly-20260821-2100`
  channel: FlatcarChannel | null; // from MINOR; null for numbers no channel uses
  text: string;
}

const CHANNEL_BY_MINOR: readonly FlatcarChannel[] = ['alpha', 'beta', 'stable', 'lts'];
const VERSION = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:\+([0-9A-Za-z.-]+))?$/;

export function parseFlatcarVersion(text: string): FlatcarVersion {
  const m = VERSION.exec(text.trim());
  if (!m) throw parseFailure('the Flatcar version', `"${text.slice(0, 80)}" is not MAJOR.MINOR.PATCH`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return {
    major,
    minor,
    patch,
    ...(m[4] === undefined ? {} : { build: m[4] }),
    channel: CHANNEL_BY_MINOR[minor] ?? null,
    text: m[0],
  };
}
