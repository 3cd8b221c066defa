// What the simulated cluster itself saw, for the rollout bench's lower bound: when each pod began terminating and
// was gone, and when each Node turned Ready (a watch of the simulator's API server), next to the fleet's own
// events.jsonl (downloads, reboot-start → up). Nothing here comes from flatdeck's step timings.
import { Watch, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { SimEvent } from '../sim/fleet/events.ts';

export interface ClusterTimes {
  /** pod key → node, when its deletion began, when it was gone */
  readonly pods: Map<string, { node: string; deletingAt: number | null; goneAt: number | null }>;
  /** node → instants it turned Ready */
  readonly ready: Map<string, number[]>;
  stop(): void;
}

const isReady = (n: V1Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

export async function watchClusterTimes(kc: KubeConfig): Promise<ClusterTimes> {
  const pods: ClusterTimes['pods'] = new Map();
  const ready: ClusterTimes['ready'] = new Map();
  const wasReady = new Map<string, boolean>();
  const watch = new Watch(kc);
  const ignore = () => undefined;
  const podWatch = await watch.watch('/api/v1/pods', {}, (type: string, pod: V1Pod) => {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}/${pod.metadata?.uid}`;
    const node = pod.spec?.nodeName;
    if (!node) return;
    const entry = pods.get(key) ?? { node, deletingAt: null, goneAt: null };
    pods.set(key, entry);
    if (pod.metadata?.deletionTimestamp && entry.deletingAt === null) entry.deletingAt = Date.now();
    if (type === 'DELETED') {
      entry.deletingAt ??= Date.now();
      entry.goneAt = Date.now();
    }
  }, ignore);
  const nodeWatch = await watch.watch('/api/v1/nodes', {}, (_type: string, node: V1Node) => {
    const name = node.metadata?.name ?? '';
    const now = isReady(node);
    if (now && wasReady.get(name) === false) ready.set(name, [...(ready.get(name) ?? []), Date.now()]);
    wasReady.set(name, now);
  }, ignore);
  return {
    pods,
    ready,
    stop() {
      podWatch.abort();
      nodeWatch.abort();
    },
  };
}

export interface NodeCycle {
  node: string;
  /** first pod of the node terminating → last one gone (the grace periods flatdeck cannot shorten) */
  evictMs: number;
  /** reboot-start → up */
  rebootMs: number;
  /** up → Node Ready */
  readyMs: number;
}

/**
 * The physical floor of a rollout from the cluster's own times within [fromMs, toMs]: the longest download
 * (update_engine leaving IDLE → UPDATED_NEED_REBOOT), then the node cycles, K of them side by side at best.
 */
export function lowerBound(events: readonly SimEvent[], times: ClusterTimes, fromMs: number, toMs: number, k: number): { boundMs: number; downloadMs: number; cycles: NodeCycle[] } {
  const at = (e: SimEvent) => Date.parse(e.ts);
  const inRun = events.filter((e) => at(e) >= fromMs && at(e) <= toMs);
  const downloads = new Map<string, { start: number; end: number | null }>();
  for (const e of inRun.filter((x) => x.kind === 'update-engine')) {
    const d = downloads.get(e.node) ?? { start: at(e), end: null };
    downloads.set(e.node, d);
    if (e.to === 'UPDATE_STATUS_UPDATED_NEED_REBOOT' && d.end === null) d.end = at(e);
  }
  const downloadMs = Math.max(0, ...[...downloads.values()].map((d) => (d.end ?? d.start) - d.start));
  const cycles: NodeCycle[] = [];
  for (const start of inRun.filter((e) => e.kind === 'reboot-start')) {
    const up = inRun.find((e) => e.kind === 'up' && e.node === start.node && at(e) >= at(start));
    if (!up) continue;
    const readyAt = (times.ready.get(start.node) ?? []).find((t) => t >= at(up)) ?? at(up);
    const evicted = [...times.pods.values()].filter((p) => p.node === start.node && p.deletingAt !== null && p.goneAt !== null && p.deletingAt >= fromMs && (p.goneAt as number) <= at(start));
    const evictMs = evicted.length === 0 ? 0 : Math.max(...evicted.map((p) => p.goneAt as number)) - Math.min(...evicted.map((p) => p.deletingAt as number));
    cycles.push({ node: start.node, evictMs, rebootMs: at(up) - at(start), readyMs: readyAt - at(up) });
  }
  const each = cycles.map((c) => c.evictMs + c.rebootMs + c.readyMs);
  const sum = each.reduce((a, b) => a + b, 0);
  return { boundMs: downloadMs + Math.max(sum / k, ...each, 0), downloadMs, cycles };
}
