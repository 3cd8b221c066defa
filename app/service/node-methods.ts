import type { NodeLiveState, NodeSummary } from '../api/nodes.ts';
import { unknownNodeError } from '../cluster/unknown-node.ts';
import type { MethodModule, ServiceContext } from './context.ts';
import { readLiveState } from './live-state.ts';
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
    nodes = inventory.nodes().filter((n) => n.distribution === 'flatcar');
  }
  return mapLimited(nodes, SSH_FAN_OUT, async (node) => {
    let state: NodeLiveState;
    try {
      state = await readLiveState(await ctx.ssh.flatcarNode(cluster, node, ctx.emit));
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
