import type { MethodModule } from './context.ts';
import { LIVE_FOLLOW_LIMIT, LiveWatch } from './live-watch.ts';
import { defaultFollowTiming } from './node-follower.ts';
import { realClock } from '../support/clock.ts';

/** `nodes.followLive`: one LiveWatch per open cluster, stopped when the cluster closes or the core does. */
export const liveWatchMethods: MethodModule = (ctx) => {
  const watches = new Map<string, LiveWatch>();
  ctx.onClose(() => {
    for (const w of watches.values()) w.stop();
    watches.clear();
  });
  return {
    'nodes.followLive': async ({ cluster }) => {
      const inventory = await ctx.clusters.inventory(cluster);
      let watch = watches.get(cluster);
      if (watch && !watch.stopped) watch.retry();
      else {
        const started: LiveWatch = new LiveWatch({
          inventory,
          connect: (node) => ctx.ssh.flatcarNode(cluster, node, ctx.emit),
          emit: (state) => ctx.emit({ topic: 'nodes', payload: { type: 'live', cluster, state } }),
          clock: realClock,
          timing: defaultFollowTiming,
          maxFollowed: LIVE_FOLLOW_LIMIT,
          onStopped: () => {
            if (watches.get(cluster) === started) watches.delete(cluster);
          },
        });
        watch = started;
        watches.set(cluster, watch);
      }
      return { following: watch.size, waiting: watch.waiting };
    },
  };
};
