// The scheduler role: binds unscheduled pods to a Ready, schedulable node whose taints they tolerate and whose
// labels their nodeSelector / required node affinity select, preferring the node with the fewest pods.
import { clone } from '../patch/json-value.ts';
import type { Rest } from '../rest.ts';
import type { Node, NodeSelectorTerm, Pod } from '../types.ts';
import type { Controller } from './manager.ts';
import { isActive, nodeReady, setCondition, tolerates, type Defs } from './util.ts';

function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  const exprOk = (term.matchExpressions ?? []).every((e) => {
    const v = labels[e.key];
    switch (e.operator) {
      case 'In': return v !== undefined && (e.values ?? []).includes(v);
      case 'NotIn': return v === undefined || !(e.values ?? []).includes(v);
      case 'Exists': return v !== undefined;
      case 'DoesNotExist': return v === undefined;
      default: return false;
    }
  });
  const fieldsOk = (term.matchFields ?? []).every((f) => f.key === 'metadata.name'
    && (f.operator === 'In' ? (f.values ?? []).includes(node.metadata.name) : !(f.values ?? []).includes(node.metadata.name)));
  return exprOk && fieldsOk;
}

/**
 * Why the pod cannot be placed on (or, with `running`, keep running on) the node; undefined when it fits.
 * A running pod only needs its NoExecute taints tolerated; NoSchedule taints and readiness concern new pods.
 */
export function nodeFits(pod: Pod, node: Node, opts: { ignoreReady?: boolean; running?: boolean } = {}): string | undefined {
  if (node.metadata.deletionTimestamp) return 'node is being deleted';
  if (!opts.ignoreReady && !opts.running && !nodeReady(node)) return "node(s) had untolerated taint {node.kubernetes.io/not-ready: }";
  const unschedulable = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
  if (!opts.running && node.spec?.unschedulable && !tolerates(pod.spec.tolerations, unschedulable)) return 'node(s) were unschedulable';
  for (const t of node.spec?.taints ?? []) {
    const blocks = t.effect === 'NoExecute' || (t.effect === 'NoSchedule' && !opts.running);
    if (blocks && !tolerates(pod.spec.tolerations, t)) {
      return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
    }
  }
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) {
    if (node.metadata.labels?.[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
  }
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length && !terms.some((t) => termMatches(t, node))) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

export function scheduler(rest: Rest, defs: Defs): Controller {
  return {
    name: 'scheduler',
    sync(now) {
      const pods = rest.list(defs.pods, undefined).items as Pod[];
      const pending = pods.filter((p) => !p.spec.nodeName && isActive(p) && (p.spec.schedulerName ?? 'default-scheduler') === 'default-scheduler');
      if (pending.length === 0) return;
      const nodes = rest.list(defs.nodes, undefined).items as Node[];
      const load = new Map<string, number>();
      for (const p of pods) if (p.spec.nodeName && isActive(p)) load.set(p.spec.nodeName, (load.get(p.spec.nodeName) ?? 0) + 1);
      for (const pod of pending) {
        const reasons = new Map<string, number>();
        const fitting = nodes.filter((n) => {
          const why = nodeFits(pod, n);
          if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
          return !why;
        }).sort((a, b) => (load.get(a.metadata.name) ?? 0) - (load.get(b.metadata.name) ?? 0) || a.metadata.name.localeCompare(b.metadata.name));
        const chosen = fitting[0];
        const next = clone(pod);
        if (chosen) {
          next.spec.nodeName = chosen.metadata.name;
          next.status = { ...next.status, conditions: setCondition(next.status?.conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null }, now) };
          load.set(chosen.metadata.name, (load.get(chosen.metadata.name) ?? 0) + 1);
          rest.store.update('pods', next, pod);
          continue;
        }
        const detail = [...reasons].map(([r, n]) => `${n} ${r}`).sort().join(', ');
        const message = `0/${nodes.length} nodes are available${detail ? ': ' + detail : ''}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
        const existing = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
        if (existing?.message === message) continue;
        next.status = { ...next.status, conditions: setCondition(next.status?.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null }, now) };
        rest.update(defs.pods, pod.metadata.namespace, pod.metadata.name, next, 'status');
      }
    },
  };
}

