// Flatcar's public release feed, as the website publishes it (flatcar/flatcar-website, read at 2075ef3,
// 2026-08-21): `update-flatcar-versions.sh` runs `tools/release-scripts/releases_as_json.py` over
// `data/releases/<channel>/*.yml` into `static/releases-json/releases-<channel>.json`, served as
// https://www.flatcar.org/releases-json/releases-<channel>.json. The file is one JSON object:
//   { "4593.2.4": {...}, "4593.2.5": {...}, "current": {...} }
// Each key is a release version, plus "current" (for LTS also "current-2022", "current-2023", …). Each value is
//   { "channel": "stable", "architectures": ["amd64", "arm64"], "release_date": "2026-08-13 15:48:35 +0000",
//     "major_software": { "kernel": ["6.12.102"], … }, "release_notes": "…markdown…" }
// "current" is a copy of the newest release's entry and does not name its version, so the version is the key
// whose entry is the same release; the highest version key is the fallback.
import { z } from 'zod';
import type { ReleaseChannel } from '../api/releases.ts';
import { compareVersions } from '../api/versions.ts';

const versionKey = /^\d+\.\d+\.\d+$/;

const FeedEntry = z
  .object({
    channel: z.string(),
    release_date: z.string(),
    release_notes: z.string().optional(),
  })
  .loose();
type FeedEntry = z.infer<typeof FeedEntry>;

export const ReleaseFeed = z.record(z.string(), FeedEntry);
export type ReleaseFeed = z.infer<typeof ReleaseFeed>;

export interface NewestRelease {
  version: string;
  /** ISO 8601, or null when the feed's date does not parse. */
  releaseDate: string | null;
}

/** "2026-08-13 15:48:35 +0000" (Python's `%Y-%m-%d %H:%M:%S %z`) as ISO 8601. */
export function feedDateToIso(text: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const date = new Date(`${m[1]}T${m[2]}${m[3]}${m[4]}:${m[5]}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function sameRelease(a: FeedEntry, b: FeedEntry): boolean {
  return a.channel === b.channel && a.release_date === b.release_date && a.release_notes === b.release_notes;
}

/** The newest release a channel's feed names, or null when it names none for that channel. */
export function newestRelease(feed: ReleaseFeed, channel: ReleaseChannel): NewestRelease | null {
  const versions = Object.keys(feed)
    .filter((key) => versionKey.test(key) && feed[key]?.channel === channel)
    .sort(compareVersions);
  const current = feed.current;
  const matching = current && current.channel === channel ? versions.filter((v) => sameRelease(feed[v] as FeedEntry, current)) : [];
  const version = matching.at(-1) ?? versions.at(-1);
  if (!version) return null;
  return { version, releaseDate: feedDateToIso((feed[version] as FeedEntry).release_date) };
}
