import { ApiError } from '../api/errors.ts';
import { releaseChannels, type ReleaseChannel } from '../api/releases.ts';
import { fetchFeed, type FetchLike } from './fetch-feed.ts';

/**
 * The channel a version was released on, per the release feed (every release is a key of its channel's file);
 * a version no feed lists is refused before anything changes on a node.
 */
export async function releasedOn(base: string, version: string, opts: { fetch?: FetchLike; timeoutMs?: number } = {}): Promise<ReleaseChannel> {
  const read = { fetch: opts.fetch ?? ((url, init) => fetch(url, init)), timeoutMs: opts.timeoutMs ?? 8000 };
  const results = await Promise.allSettled(releaseChannels.map((channel) => fetchFeed(base, channel, read)));
  const found = releaseChannels.find((_, i) => {
    const r = results[i];
    return r?.status === 'fulfilled' && Object.hasOwn(r.value, version);
  });
  if (found) return found;
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (failed.length === results.length) {
    throw new ApiError('invalid-request', `Cannot check that Flatcar ${version} exists: the release feed at ${base} could not be read (${failed[0] ?? ''}); nothing was changed`, { version });
  }
  throw new ApiError('invalid-request', `Flatcar ${version} is not a release: the release feed at ${base} does not list it on any channel; nothing was changed`, { version });
}
