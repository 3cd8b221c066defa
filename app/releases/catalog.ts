import { releaseChannels } from '../api/releases.ts';
import type { ReleaseChannel, ReleaseSource } from '../api/releases.ts';
import type { CachedFeed, FeedCache } from './cache.ts';
import { newestRelease } from './feed.ts';
import { fetchFeed } from './fetch-feed.ts';
import type { FetchLike } from './fetch-feed.ts';

export interface CatalogRelease {
  channel: ReleaseChannel;
  version: string;
  releaseDate: string | null;
  source: Extract<ReleaseSource, 'feed' | 'cache'>;
}

export interface CatalogAnswer {
  releases: CatalogRelease[];
  fetchedAt: string | null;
  /** Why (part of) the feed could not be read just now. */
  error: string | null;
}

export interface CatalogOptions {
  cache: FeedCache;
  fetch?: FetchLike;
  /** Per feed file (default 8 s). */
  timeoutMs?: number;
  /** A feed read this recently is not read again unless asked to (default 1 h; Flatcar releases every ~2 weeks). */
  maxAgeMs?: number;
  now?: () => number;
}

/** The newest release per channel of each feed: read over HTTP at most once per maxAge, kept in the cache. */
export class ReleaseCatalog {
  readonly #opts: Required<Omit<CatalogOptions, 'cache'>> & { cache: FeedCache };
  readonly #inFlight = new Map<string, Promise<CatalogAnswer>>();
  readonly #readAt = new Map<string, number>();

  constructor(opts: CatalogOptions) {
    this.#opts = { fetch: (url, init) => fetch(url, init), timeoutMs: 8000, maxAgeMs: 3_600_000, now: Date.now, ...opts };
  }

  async newest(base: string, refresh = false): Promise<CatalogAnswer> {
    const readAt = this.#readAt.get(base);
    const cached = this.#opts.cache.read(base);
    if (!refresh && cached && readAt !== undefined && this.#opts.now() - readAt < this.#opts.maxAgeMs) return answer(cached, 'feed', null);
    let running = this.#inFlight.get(base);
    if (!running) {
      running = this.#read(base).finally(() => this.#inFlight.delete(base));
      this.#inFlight.set(base, running);
    }
    return running;
  }

  async #read(base: string): Promise<CatalogAnswer> {
    const results = await Promise.allSettled(releaseChannels.map((channel) => fetchFeed(base, channel, this.#opts)));
    const fetchedAt = new Date(this.#opts.now()).toISOString();
    const fresh: CachedFeed = { fetchedAt, channels: {} };
    const errors: string[] = [];
    results.forEach((result, i) => {
      const channel = releaseChannels[i] as ReleaseChannel;
      if (result.status === 'rejected') errors.push((result.reason as Error).message);
      else {
        const newest = newestRelease(result.value, channel);
        if (newest) fresh.channels[channel] = newest;
        else errors.push(`the ${channel} feed names no ${channel} release`);
      }
    });
    const error = errors.length ? errors.join('; ') : null;
    const previous = this.#opts.cache.read(base);
    if (Object.keys(fresh.channels).length === 0) return previous ? answer(previous, 'cache', error) : { releases: [], fetchedAt: null, error };
    this.#readAt.set(base, this.#opts.now());
    // A channel that failed this time keeps what the last good read said.
    const merged: CachedFeed = { fetchedAt, channels: { ...previous?.channels, ...fresh.channels } };
    this.#opts.cache.write(base, merged);
    const releases = answer(merged, 'feed', error).releases.map((r) => (fresh.channels[r.channel] ? r : { ...r, source: 'cache' as const }));
    return { releases, fetchedAt, error };
  }
}

function answer(feed: CachedFeed, source: CatalogRelease['source'], error: string | null): CatalogAnswer {
  const releases = releaseChannels.flatMap((channel) => {
    const r = feed.channels[channel];
    return r ? [{ channel, version: r.version, releaseDate: r.releaseDate, source }] : [];
  });
  return { releases, fetchedAt: feed.fetchedAt, error };
}
