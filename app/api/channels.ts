import { z } from 'zod';
import { ClusterId } from './clusters.ts';
import { NodeName } from './nodes.ts';
import { ReleaseChannel } from './releases.ts';
import { compareVersions } from './versions.ts';

/**
 * What moving a node to a channel does. update_engine never installs a release older than (or equal to) the one
 * it runs (the update service only offers newer ones), so a node moves to the channel's releases at its next check
 * when the channel's newest is newer, and otherwise stays on its release until the channel catches up.
 */
export type ChannelEffect = 'updates' | 'waits' | 'unknown';

export function channelEffect(running: string | null, channelNewest: string | null): ChannelEffect {
  if (!running || !channelNewest || !/^\d+\.\d+\.\d+$/.test(running)) return 'unknown';
  return compareVersions(channelNewest, running) > 0 ? 'updates' : 'waits';
}

export const ChannelChange = z.object({
  node: NodeName,
  /** GROUP in /etc/flatcar/update.conf before the change; null when the file named none (the image's default) */
  from: z.string().nullable(),
  ok: z.boolean(),
  error: z.string().nullable(),
});
export type ChannelChange = z.infer<typeof ChannelChange>;

export const channelMethods = {
  /** Writes GROUP=<channel> into /etc/flatcar/update.conf (atomically, every other line kept) on each node; `nodes` null: every Flatcar node. */
  'channels.set': {
    params: z.object({ cluster: ClusterId, nodes: z.array(NodeName).min(1).nullable(), channel: ReleaseChannel }),
    result: z.object({ channel: ReleaseChannel, changes: z.array(ChannelChange) }),
  },
} as const;
