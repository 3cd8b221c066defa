// Pod-specific API behaviour: graceful deletion rules, the eviction subresource (policy/v1 Eviction honouring
// PodDisruptionBudgets) and the binding subresource.
import { ApiError, errors } from './errors.ts';
import { timeNow } from './meta.ts';
import { clone, isObject } from './patch/json-value.ts';
import type { ResourceDef, ResourceRegistry } from './resources.ts';
import type { DeleteOptions, Rest } from './rest.ts';
import { matchesLabelSelector } from './selectors.ts';
import type { Store } from './store.ts';
import type { KubeObject, Pdb, Pod } from './types.ts';

/**
 * A node is run by a kubelet when the kubelet registered it (kubelets annotate their Node with
 * volumes.kubernetes.io/controller-managed-attach-detach) or its heartbeat Lease exists in kube-node-lease.
 */
export function nodeHasKubelet(store: Store, nodeName: string): boolean {
  if (store.get('leases.coordination.k8s.io', 'kube-node-lease', nodeName)) return true;
  const node = store.get('nodes', undefined, nodeName);
  return node?.metadata.annotations?.['volumes.kubernetes.io/controller-managed-attach-detach'] !== undefined;
}

export function isPodReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/**
 * Seconds of graceful termination. Pods nobody runs (unscheduled, finished, on an unknown node or a node without a
 * kubelet) are removed at once, as the real pod GC / kubelet would do promptly.
 */
export function podGracePeriod(store: Store, pod: Pod, requested: number | undefined): number {
  const grace = Math.max(0, requested ?? pod.spec.terminationGracePeriodSeconds ?? 30);
  const node = pod.spec.nodeName;
  if (!node || isTerminal(pod)) return 0;
  if (!store.get('nodes', undefined, node) || !nodeHasKubelet(store, node)) return 0;
  return grace;
}

const evictionFailure = "Cannot evict pod as it would violate the pod's disruption budget.";

export interface EvictionDeps {
  rest: Rest;
  registry: ResourceRegistry;
  podsDef: ResourceDef;
  pdbDef: ResourceDef;
  /** true when a fault forces this PDB to refuse every disruption */
  pdbForcedBlocked(namespace: string, name: string): boolean;
}

function evictionOptions(body: unknown): DeleteOptions {
  if (!isObject(body) || !isObject(body.deleteOptions)) return {};
  const o = body.deleteOptions;
  const out: DeleteOptions = {};
  if (typeof o.gracePeriodSeconds === 'number') out.gracePeriodSeconds = o.gracePeriodSeconds;
  if (isObject(o.preconditions)) {
    out.preconditions = {};
    if (typeof o.preconditions.uid === 'string') out.preconditions.uid = o.preconditions.uid;
    if (typeof o.preconditions.resourceVersion === 'string') out.preconditions.resourceVersion = o.preconditions.resourceVersion;
  }
  if (Array.isArray(o.dryRun)) out.dryRun = o.dryRun.filter((x): x is string => typeof x === 'string');
  return out;
}

/** POST pods/<name>/eviction. Returns the 201 Status body on success; throws the real failures. */
/** `queryDryRun`: ?dryRun=All on the request, which kube-apiserver merges into the eviction's delete options. */
export function evictPod(deps: EvictionDeps, namespace: string, name: string, body: unknown, queryDryRun = false): Record<string, unknown> {
  if (!isObject(body)) throw errors.badRequest('Eviction in version "v1" cannot be handled as a Eviction: json: cannot unmarshal non-object into Go value of type policy.Eviction');
  const bodyName = isObject(body.metadata) ? body.metadata.name : undefined;
  if (typeof bodyName === 'string' && bodyName !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  const { rest } = deps;
  const pod = rest.get(deps.podsDef, namespace, name) as Pod;
  const options = evictionOptions(body);
  if (queryDryRun) options.dryRun = ['All'];
  const success = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  const bypass = isTerminal(pod) || pod.status?.phase === 'Pending' || pod.metadata.deletionTimestamp !== undefined;
  if (bypass) {
    rest.delete(deps.podsDef, namespace, name, options);
    return success;
  }
  const pdbs = rest.list(deps.pdbDef, namespace).items
    .map((o) => o as Pdb)
    .filter((p) => p.spec.selector !== undefined && p.spec.selector !== null && matchesLabelSelector(p.spec.selector, pod.metadata.labels));
  if (pdbs.length > 1) {
    // kube-apiserver answers with this Status itself (no reason, no details), not with an InternalError.
    throw new ApiError(500, '', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  }
  const pdb = pdbs[0];
  if (!pdb) {
    rest.delete(deps.podsDef, namespace, name, options);
    return success;
  }
  const status = pdb.status ?? {};
  const healthyBudget = (status.currentHealthy ?? 0) >= (status.desiredHealthy ?? 0) && (status.desiredHealthy ?? 0) > 0;
  if (!isPodReady(pod) && (pdb.spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' || healthyBudget)) {
    rest.delete(deps.podsDef, namespace, name, options);
    return success;
  }
  const pdbName = pdb.metadata.name;
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
    throw errors.tooManyRequests(`${evictionFailure} The disruption budget ${pdbName} is still being processed by the server.`, 10);
  }
  const allowed = deps.pdbForcedBlocked(namespace, pdbName) ? 0 : status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw new ApiError(403, 'Forbidden', `poddisruptionbudgets.policy "${pdbName}" is forbidden: pdb disruptions allowed is negative`, { name: pdbName, group: 'policy', kind: 'poddisruptionbudgets' });
  if (allowed === 0) {
    throw errors.tooManyRequests(evictionFailure, 0, [{
      reason: 'DisruptionBudget',
      message: `The disruption budget ${pdbName} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
    }]);
  }
  const dryRun = (options.dryRun ?? []).includes('All');
  if (!dryRun) {
    const next = clone(pdb) as KubeObject as Pdb;
    const nextStatus = next.status ?? {};
    nextStatus.disruptionsAllowed = allowed - 1;
    nextStatus.disruptedPods = { ...(nextStatus.disruptedPods ?? {}), [name]: timeNow() };
    next.status = nextStatus;
    rest.update(deps.pdbDef, namespace, pdbName, next, 'status');
  }
  rest.delete(deps.podsDef, namespace, name, options);
  return success;
}

/** POST pods/<name>/binding: assigns the node, as the scheduler does. */
export function bindPod(rest: Rest, podsDef: ResourceDef, namespace: string, name: string, body: unknown): Record<string, unknown> {
  const target = isObject(body) && isObject(body.target) ? body.target : undefined;
  if (!target || typeof target.name !== 'string' || target.name === '') {
    throw errors.invalid('Binding', '', name, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }]);
  }
  const pod = rest.get(podsDef, namespace, name) as Pod;
  if (pod.spec.nodeName) {
    throw errors.conflict({ group: '', resource: 'pods' }, name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
  }
  const next = clone(pod);
  next.spec.nodeName = target.name;
  const conditions = (next.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timeNow() });
  next.status = { ...(next.status ?? {}), conditions };
  rest.store.update('pods', next, pod);
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}
