// The disruption controller: computes PodDisruptionBudget status (expectedPods, currentHealthy, desiredHealthy,
// disruptionsAllowed, disruptedPods, the DisruptionAllowed condition, observedGeneration).
import { isPodReady } from '../pods.ts';
import type { Rest } from '../rest.ts';
import { matchesLabelSelector } from '../selectors.ts';
import type { KubeObject, Pdb, Pod, Workload } from '../types.ts';
import { deepEqual } from '../patch/json-value.ts';
import type { Controller } from './manager.ts';
import { setCondition, writeStatus, type Defs } from './util.ts';

const disruptedPodTimeoutMs = 2 * 60 * 1000;

function scaled(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(value) || 0;
}

/** Expected pod count from the pods' controllers (Deployment via ReplicaSet, ReplicaSet, StatefulSet). */
function expectedFromControllers(rest: Rest, defs: Defs, pods: readonly Pod[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const p of pods) {
    const ref = (p.metadata.ownerReferences ?? []).find((r) => r.controller);
    if (!ref) { total += 1; continue; }
    if (seen.has(ref.uid)) continue;
    seen.add(ref.uid);
    const ns = p.metadata.namespace;
    let owner: KubeObject | undefined;
    if (ref.kind === 'ReplicaSet') {
      owner = rest.find(defs.replicaSets, ns, ref.name);
      const dRef = (owner?.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'Deployment');
      if (dRef) {
        if (seen.has(dRef.uid)) continue;
        seen.add(dRef.uid);
        owner = rest.find(defs.deployments, ns, dRef.name) ?? owner;
      }
    } else if (ref.kind === 'StatefulSet') owner = rest.find(defs.statefulSets, ns, ref.name);
    total += owner ? Number((owner as Workload).spec.replicas ?? 1) : 1;
  }
  return total;
}

export function disruptionController(rest: Rest, defs: Defs, forcedBlocked: (ns: string, name: string) => boolean): Controller {
  return {
    name: 'disruption',
    sync(now) {
      for (const o of rest.list(defs.pdbs, undefined).items) {
        const pdb = o as Pdb;
        const ns = pdb.metadata.namespace ?? '';
        const selector = pdb.spec.selector;
        const pods = selector === undefined || selector === null ? []
          : (rest.list(defs.pods, ns).items as Pod[]).filter((p) => matchesLabelSelector(selector, p.metadata.labels));
        const disrupted: Record<string, string> = {};
        for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
          const pod = pods.find((p) => p.metadata.name === name);
          if (pod && !pod.metadata.deletionTimestamp && now - Date.parse(at) < disruptedPodTimeoutMs) disrupted[name] = at;
        }
        const healthy = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p) && !(p.metadata.name in disrupted)).length;
        let expected: number;
        let desired: number;
        if (pdb.spec.maxUnavailable !== undefined) {
          expected = expectedFromControllers(rest, defs, pods);
          desired = Math.max(0, expected - scaled(pdb.spec.maxUnavailable, expected));
        } else if (typeof pdb.spec.minAvailable === 'string') {
          expected = expectedFromControllers(rest, defs, pods);
          desired = scaled(pdb.spec.minAvailable, expected);
        } else {
          expected = pods.length;
          desired = pdb.spec.minAvailable ?? expected;
        }
        const allowed = forcedBlocked(ns, pdb.metadata.name) ? 0 : Math.max(0, healthy - desired);
        const status: Record<string, unknown> = {
          observedGeneration: pdb.metadata.generation ?? 1,
          ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
          disruptionsAllowed: allowed, currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected,
          conditions: setCondition(pdb.status?.conditions, {
            type: 'DisruptionAllowed', status: allowed > 0 ? 'True' : 'False',
            reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods', message: '', observedGeneration: pdb.metadata.generation ?? 1,
          }, now),
        };
        if (!deepEqual(pdb.status ?? {}, status)) writeStatus(rest, defs.pdbs, pdb, status);
      }
    },
  };
}
