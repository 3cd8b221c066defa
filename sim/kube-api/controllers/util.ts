// Helpers shared by the built-in controllers.
import { clone } from '../patch/json-value.ts';
import type { ResourceDef, ResourceRegistry } from '../resources.ts';
import type { Rest } from '../rest.ts';
import type { Condition, KubeObject, Node, OwnerReference, Pod, Taint, Toleration } from '../types.ts';
import { timeNow } from '../meta.ts';

export interface Defs {
  pods: ResourceDef; nodes: ResourceDef; namespaces: ResourceDef; serviceAccounts: ResourceDef; leases: ResourceDef;
  deployments: ResourceDef; replicaSets: ResourceDef; daemonSets: ResourceDef; statefulSets: ResourceDef; pdbs: ResourceDef;
  crds: ResourceDef; events: ResourceDef;
}

function need(registry: ResourceRegistry, group: string, version: string, resource: string): ResourceDef {
  const d = registry.lookup(group, version, resource);
  if (!d) throw new Error(`resource ${resource} not registered`);
  return d;
}

export function builtinDefs(registry: ResourceRegistry): Defs {
  return {
    pods: need(registry, '', 'v1', 'pods'),
    nodes: need(registry, '', 'v1', 'nodes'),
    namespaces: need(registry, '', 'v1', 'namespaces'),
    serviceAccounts: need(registry, '', 'v1', 'serviceaccounts'),
    events: need(registry, '', 'v1', 'events'),
    leases: need(registry, 'coordination.k8s.io', 'v1', 'leases'),
    deployments: need(registry, 'apps', 'v1', 'deployments'),
    replicaSets: need(registry, 'apps', 'v1', 'replicasets'),
    daemonSets: need(registry, 'apps', 'v1', 'daemonsets'),
    statefulSets: need(registry, 'apps', 'v1', 'statefulsets'),
    pdbs: need(registry, 'policy', 'v1', 'poddisruptionbudgets'),
    crds: need(registry, 'apiextensions.k8s.io', 'v1', 'customresourcedefinitions'),
  };
}

export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? '', kind: owner.kind ?? '', name: owner.metadata.name, uid: owner.metadata.uid,
    controller: true, blockOwnerDeletion: true,
  };
}

export function controlledBy(o: KubeObject, owner: KubeObject): boolean {
  return (o.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === owner.metadata.uid);
}

/** FNV-1a 32-bit, rendered with the alphabet Kubernetes uses for safe generated names. */
export function shortHash(value: unknown): string {
  const text = JSON.stringify(value);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  while (h > 0) {
    out += alphabet[h % alphabet.length];
    h = Math.floor(h / alphabet.length);
  }
  return out || 'b';
}

export function isActive(p: Pod): boolean {
  return !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

export function nodeReady(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function tolerates(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** Writes a status stanza through the status subresource when it differs. */
export function writeStatus(rest: Rest, def: ResourceDef, obj: KubeObject, status: Record<string, unknown>): void {
  const next = clone(obj);
  next.status = status;
  rest.update(def, obj.metadata.namespace, obj.metadata.name, next, 'status');
}

/** Sets a condition, keeping lastTransitionTime when the status did not change. */
export function setCondition(conditions: readonly Condition[] | undefined, c: Condition, now: number): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime ?? timeNow(now) : timeNow(now) };
  if (i >= 0) list[i] = { ...prev, ...next };
  else list.push(next);
  return list;
}
