import { z } from 'zod';
import { ClusterId } from './clusters.ts';

export const releaseChannels = ['stable', 'beta', 'alpha', 'lts'] as const;
export const ReleaseChannel = z.enum(releaseChannels);
export type ReleaseChannel = z.infer<typeof ReleaseChannel>;

/** Where flatdeck learned a channel's newest release. */
export const ReleaseSource = z.enum([
  /** the release feed, read just now */
  'feed',
  /** the last feed flatdeck could read (offline, or the feed failed) */
  'cache',
  /** no feed and no cache: the newest version a node of the cluster runs, so "behind" is a lower bound */
  'nodes',
]);
export type ReleaseSource = z.infer<typeof ReleaseSource>;

export const ChannelRelease = z.object({
  channel: ReleaseChannel,
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  /** ISO 8601; null when only the nodes told us about the version. */
  releaseDate: z.string().nullable(),
  source: ReleaseSource,
});
export type ChannelRelease = z.infer<typeof ChannelRelease>;

export const ReleaseInfo = z.object({
  cluster: ClusterId,
  /** The feed base URL: `releases-<channel>.json` is read below it. */
  feedUrl: z.string(),
  /** When the feed (or the cached copy used) was read; null when nothing came from a feed. */
  fetchedAt: z.string().nullable(),
  channels: z.array(ChannelRelease),
  /** Why the feed could not be read just now (then the channels come from the cache or the nodes). */
  error: z.string().nullable(),
});
export type ReleaseInfo = z.infer<typeof ReleaseInfo>;

export const releaseMethods = {
  /** The newest release per channel for a cluster's feed; `refresh` reads the feed even if the copy is recent. */
  'releases.get': { params: z.object({ cluster: ClusterId, refresh: z.boolean().default(false) }), result: ReleaseInfo },
} as const;
