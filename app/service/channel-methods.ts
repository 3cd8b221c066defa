import { ApiError } from '../api/errors.ts';
import { unknownNodeError } from '../cluster/unknown-node.ts';
import type { ChannelChange } from '../api/channels.ts';
import { groupOf, withGroup } from '../flatcar/channel.ts';
import { mapLimited, SSH_FAN_OUT } from '../ssh/map-limited.ts';
import type { MethodModule } from './context.ts';

/** A node's or the whole cluster's release channel: GROUP= in /etc/flatcar/update.conf, rewritten atomically. */
export const channelMethods: MethodModule = (ctx) => ({
  'channels.set': async ({ cluster, nodes, channel }) => {
    await ctx.clusters.connect(cluster);
    const inventory = await ctx.clusters.inventory(cluster);
    const targets =
      nodes === null
        ? inventory.nodes().filter((n) => n.distribution === 'flatcar')
        : nodes.map((name) => {
            const found = inventory.get(name);
            if (!found) throw unknownNodeError(cluster, name, inventory.nodes().map((n) => n.name));
            if (found.distribution !== 'flatcar') throw new ApiError('invalid-request', `${name} does not run Flatcar (${found.osImage}): it has no release channel`, { node: name });
            return found;
          });
    if (targets.length === 0) throw new ApiError('invalid-request', `Cluster ${cluster} has no Flatcar nodes`);
    const changes = await mapLimited(targets, SSH_FAN_OUT, async (summary): Promise<ChannelChange> => {
      let from: string | null = null;
      try {
        const node = await ctx.ssh.flatcarNode(cluster, summary, ctx.emit);
        const text = await node.updateConf('etc');
        from = groupOf(text, summary.flatcarVersion);
        await node.writeUpdateConf(withGroup(text, channel));
        return { node: summary.name, from, ok: true, error: null };
      } catch (err) {
        return { node: summary.name, from, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    });
    const changed = changes.filter((c) => c.ok).map((c) => c.node);
    if (changed.length) ctx.activity.record('channel-set', `Channel ${channel} set on ${changed.join(', ')}`, { cluster }, { params: { channel, nodes: changed.join(', ') } });
    return { channel, changes };
  },
});
