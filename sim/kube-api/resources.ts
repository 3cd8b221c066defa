// The resource catalogue the server serves: built-in types plus resources registered by CRDs.
import type { SmpSchema } from './patch/smp-schema.ts';
import { smpSchemas } from './patch/smp-schema.ts';

export interface SubresourceDef {
  name: string;                                   // status, eviction, binding, scale
  kind: string;
  group: string;                                  // group/version of the kind the subresource takes
  version: string;
  verbs: readonly string[];
}

/** A CRD's additionalPrinterColumns entry. */
export interface PrinterColumn { name: string; type: string; jsonPath: string; description?: string; priority?: number }

export interface ResourceDef {
  group: string;
  version: string;
  resource: string;                               // plural
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  verbs: readonly string[];
  subresources: readonly SubresourceDef[];
  /** metadata.generation is maintained (bumped on spec changes) */
  generation: boolean;
  /** the status stanza is written only through the status subresource */
  statusSubresource: boolean;
  /** strategic merge patch schema; undefined for custom resources (SMP is refused for them) */
  smp: SmpSchema | undefined;
  /** DELETE answers with the deleted object instead of a Status */
  returnsDeletedObject: boolean;
  builtin: boolean;
  /** columns `kubectl get` shows for a custom resource */
  printerColumns?: readonly PrinterColumn[];
}

export const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const statusVerbs = ['get', 'patch', 'update'] as const;

interface BuiltinSpec {
  gv: string; resource: string; kind: string; namespaced: boolean;
  shortNames?: string[]; categories?: string[]; status?: boolean; generation?: boolean;
  verbs?: readonly string[]; extraSub?: SubresourceDef[]; returnsDeletedObject?: boolean;
}

function splitGv(gv: string): { group: string; version: string } {
  const i = gv.indexOf('/');
  return i < 0 ? { group: '', version: gv } : { group: gv.slice(0, i), version: gv.slice(i + 1) };
}

function builtin(s: BuiltinSpec): ResourceDef {
  const { group, version } = splitGv(s.gv);
  const subresources: SubresourceDef[] = [];
  if (s.status) subresources.push({ name: 'status', kind: s.kind, group, version, verbs: statusVerbs });
  subresources.push(...(s.extraSub ?? []));
  return {
    group, version, resource: s.resource, singular: s.kind.toLowerCase(), kind: s.kind, namespaced: s.namespaced,
    shortNames: s.shortNames ?? [], categories: s.categories ?? [], verbs: s.verbs ?? allVerbs, subresources,
    generation: s.generation ?? false, statusSubresource: s.status ?? false,
    smp: smpSchemas[s.kind] ?? {}, returnsDeletedObject: s.returnsDeletedObject ?? false, builtin: true,
  };
}

const noDeleteCollection = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const scale: SubresourceDef[] = [{ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: statusVerbs }];

export const builtinResources: readonly ResourceDef[] = [
  builtin({ gv: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], status: true, verbs: noDeleteCollection }),
  builtin({ gv: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], status: true }),
  builtin({
    gv: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], status: true,
    generation: true, returnsDeletedObject: true,
    extraSub: [
      { name: 'binding', kind: 'Binding', group: '', version: 'v1', verbs: ['create'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
    ],
  }),
  builtin({ gv: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  builtin({ gv: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true }),
  builtin({ gv: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] }),
  builtin({ gv: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] }),
  builtin({ gv: 'v1', resource: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], status: true }),
  builtin({ gv: 'apps/v1', resource: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], status: true, generation: true, extraSub: scale }),
  builtin({ gv: 'apps/v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'], status: true, generation: true, extraSub: scale }),
  builtin({ gv: 'apps/v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ['all'], status: true, generation: true }),
  builtin({ gv: 'apps/v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], categories: ['all'], status: true, generation: true, extraSub: scale }),
  builtin({ gv: 'policy/v1', resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true, shortNames: ['pdb'], status: true, generation: true }),
  builtin({ gv: 'coordination.k8s.io/v1', resource: 'leases', kind: 'Lease', namespaced: true }),
  builtin({ gv: 'events.k8s.io/v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] }),
  builtin({ gv: 'rbac.authorization.k8s.io/v1', resource: 'clusterroles', kind: 'ClusterRole', namespaced: false }),
  builtin({ gv: 'rbac.authorization.k8s.io/v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false }),
  builtin({ gv: 'rbac.authorization.k8s.io/v1', resource: 'roles', kind: 'Role', namespaced: true }),
  builtin({ gv: 'rbac.authorization.k8s.io/v1', resource: 'rolebindings', kind: 'RoleBinding', namespaced: true }),
  builtin({ gv: 'apiextensions.k8s.io/v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], status: true, generation: true }),
  builtin({ gv: 'authorization.k8s.io/v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }),
];

/** A resource addressed by group + plural; versions share storage. */
export function resourceKey(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export class ResourceRegistry {
  private readonly defs = new Map<string, ResourceDef>();   // group/version/resource
  private readonly custom = new Set<string>();

  constructor(defs: readonly ResourceDef[]) {
    for (const d of defs) this.defs.set(this.id(d.group, d.version, d.resource), d);
  }

  private id(group: string, version: string, resource: string): string {
    return `${group}/${version}/${resource}`;
  }

  lookup(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.defs.get(this.id(group, version, resource));
  }

  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    const { group, version } = splitGv(apiVersion);
    for (const d of this.defs.values()) if (d.group === group && d.version === version && d.kind === kind) return d;
    return undefined;
  }

  all(): ResourceDef[] {
    return [...this.defs.values()];
  }

  /** group → versions, in registration order (core group is '') */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const d of this.defs.values()) {
      const versions = out.get(d.group) ?? [];
      if (!versions.includes(d.version)) versions.push(d.version);
      out.set(d.group, versions);
    }
    return out;
  }

  registerCustom(defs: readonly ResourceDef[], owner: string): void {
    this.unregisterCustom(owner);
    for (const d of defs) {
      const id = this.id(d.group, d.version, d.resource);
      this.defs.set(id, d);
      this.custom.add(`${owner}\u0000${id}`);
    }
  }

  unregisterCustom(owner: string): void {
    for (const entry of [...this.custom]) {
      const [o, id] = entry.split('\u0000') as [string, string];
      if (o !== owner) continue;
      this.defs.delete(id);
      this.custom.delete(entry);
    }
  }
}

export { splitGv };
