import { join } from 'node:path';
import type { ChannelRelease, ReleaseInfo } from '../api/releases.ts';
import { ReleaseChannel } from '../api/releases.ts';
import { DEMO_CLUSTER_ID } from '../service/cluster-registry.ts';
import type { MethodModule, ServiceContext } from '../service/context.ts';
import { FeedCache } from './cache.ts';
import { ReleaseCatalog } from './catalog.ts';
import { PUBLIC_FEED_URL } from './fetch-feed.ts';
import { compareVersions } from '../api/versions.ts';

/** The feed a cluster reads: its own setting (a mirror), the demo simulator's feed, or Flatcar's public one. */
export function feedUrlFor(ctx: ServiceContext, cluster: string): string {
  const configured = ctx.settings.get().releaseFeeds[cluster];
  if (configured) return configured;
  if (cluster === DEMO_CLUSTER_ID && ctx.options.demo?.releaseFeedUrl) return ctx.options.demo.releaseFeedUrl;
  return PUBLIC_FEED_URL;
}

/** Offline with nothing cached: the newest version the cluster's own nodes run, per channel. */
async function fromNodes(ctx: ServiceContext, cluster: string, missing: Set<ReleaseChannel>): Promise<ChannelRelease[]> {
  if (missing.size === 0) return [];
  let nodes;
  try {
    nodes = (await ctx.clusters.inventory(cluster)).nodes();
  } catch {
    return [];
  }
  const newest = new Map<ReleaseChannel, string>();
  for (const node of nodes) {
    const channel = ReleaseChannel.safeParse(node.channel);
    if (!channel.success || !missing.has(channel.data) || !node.flatcarVersion || !/^\d+\.\d+\.\d+$/.test(node.flatcarVersion)) continue;
    const seen = newest.get(channel.data);
    if (!seen || compareVersions(node.flatcarVersion, seen) > 0) newest.set(channel.data, node.flatcarVersion);
  }
  return [...newest].map(([channel, version]) => ({ channel, version, releaseDate: null, source: 'nodes' }));
}

export const releaseMethods: MethodModule = (ctx) => {
  const catalog = new ReleaseCatalog({ cache: new FeedCache(join(ctx.options.dataDir, 'release-feeds.json')) });
  return {
    'releases.get': async ({ cluster, refresh }): Promise<ReleaseInfo> => {
      ctx.clusters.summary(cluster);
      const feedUrl = feedUrlFor(ctx, cluster);
      const read = await catalog.newest(feedUrl, refresh);
      const missing = new Set(ReleaseChannel.options.filter((c) => !read.releases.some((r) => r.channel === c)));
      return { cluster, feedUrl, fetchedAt: read.fetchedAt, channels: [...read.releases, ...(await fromNodes(ctx, cluster, missing))], error: read.error };
    },
  };
};
