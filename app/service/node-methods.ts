import type { NodeLiveState, NodeSummary } from '../api/nodes.ts';
import { unknownNodeError } from '../cluster/unknown-node.ts';
import type { MethodModule, ServiceContext } from './context.ts';
import { readLiveState, readUbuntuLiveState } from './live-state.ts';
import { mapLimited, SSH_FAN_OUT } from '../ssh/map-limited.ts';

async function refreshLive(ctx: ServiceContext, cluster: string, names: readonly string[] | undefined): Promise<NodeLiveState[]> {
  const inventory = await ctx.clusters.inventory(cluster);
  let nodes: NodeSummary[];
  if (names) {
    nodes = names.map((name) => {
      const node = inventory.get(name);
      if (!node) throw unknownNodeError(cluster, name, inventory.nodes().map((n) => n.name));
      return node;
    });
  } else {
    // an Ubuntu node is read too: for its reboot-required sentinel
    nodes = inventory.nodes().filter((n) => n.distribution !== 'other');
  }
  return mapLimited(nodes, SSH_FAN_OUT, async (node) => {
    let state: NodeLiveState;
    try {
      const ssh = await ctx.ssh.flatcarNode(cluster, node, ctx.emit);
      state = await (node.distribution === 'ubuntu' ? readUbuntuLiveState(ssh) : readLiveState(ssh));
    } catch (err) {
      state = { node: node.name, at: new Date().toISOString(), updateEngine: null, updateEngineUnit: null, versionId: null, error: (err as Error).message };
    }
    ctx.emit({ topic: 'nodes', payload: { type: 'live', cluster, state } });
    return state;
  });
}

export const nodeMethods: MethodModule = (ctx) => ({
  'nodes.list': async ({ cluster }) => (await ctx.clusters.inventory(cluster)).nodes(),
  'nodes.refreshLive': async ({ cluster, nodes }) => refreshLive(ctx, cluster, nodes),
});
