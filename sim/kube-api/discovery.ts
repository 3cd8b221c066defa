// API discovery documents: legacy (/api, /apis, /api/v1, /apis/<g>/<v>) and aggregated (apidiscovery.k8s.io/v2).
import type { ResourceDef, ResourceRegistry } from './resources.ts';

export const aggregatedDiscoveryType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Preferred-version order: v1 before v1beta1 before v1alpha1, as Kubernetes sorts versions. */
function versionPriority(v: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return 0;
  const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
  return stage * 1e6 + Number(m[1]) * 1e3 + Number(m[3] ?? 0);
}

export function sortedVersions(versions: readonly string[]): string[] {
  return [...versions].sort((a, b) => versionPriority(b) - versionPriority(a));
}

export function wantsAggregated(accept: string | undefined): boolean {
  return /as=APIGroupDiscoveryList/.test(accept ?? '') && /v=v2(;|,|$|\s)/.test(accept ?? '');
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(group: string, versions: readonly string[]): Record<string, unknown> {
  const sorted = sortedVersions(versions);
  const gv = (v: string) => ({ groupVersion: `${group}/${v}`, version: v });
  return { name: group, versions: sorted.map(gv), preferredVersion: gv(sorted[0] as string) };
}

export function apiGroupList(registry: ResourceRegistry): Record<string, unknown> {
  const groups = [...registry.groups()].filter(([g]) => g !== '').map(([g, vs]) => groupEntry(g, vs));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(registry: ResourceRegistry, group: string): Record<string, unknown> | undefined {
  const versions = registry.groups().get(group);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) } : undefined;
}

function defsIn(registry: ResourceRegistry, group: string, version: string): ResourceDef[] {
  return registry.all().filter((d) => d.group === group && d.version === version);
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const defs = defsIn(registry, group, version);
  if (defs.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const d of defs) {
    const r: Record<string, unknown> = { name: d.resource, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs };
    if (d.shortNames.length) r.shortNames = d.shortNames;
    if (d.categories.length) r.categories = d.categories;
    resources.push(r);
    for (const s of d.subresources) {
      const sub: Record<string, unknown> = { name: `${d.resource}/${s.name}`, singularName: '', namespaced: d.namespaced };
      if (s.group !== d.group || s.version !== d.version) Object.assign(sub, { group: s.group, version: s.version });
      Object.assign(sub, { kind: s.kind, verbs: s.verbs });
      resources.push(sub);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function discoveryResource(d: ResourceDef): Record<string, unknown> {
  const r: Record<string, unknown> = {
    resource: d.resource,
    responseKind: { group: d.group, version: d.version, kind: d.kind },
    scope: d.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: d.singular,
    verbs: d.verbs,
  };
  if (d.shortNames.length) r.shortNames = d.shortNames;
  if (d.categories.length) r.categories = d.categories;
  if (d.subresources.length) {
    r.subresources = d.subresources.map((s) => ({
      subresource: s.name, responseKind: { group: s.group, version: s.version, kind: s.kind }, verbs: s.verbs,
    }));
  }
  return r;
}

/** Aggregated discovery for /api (core only) or /apis (every named group). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean): Record<string, unknown> {
  const items = [...registry.groups()]
    .filter(([g]) => (g === '') === core)
    .map(([g, versions]) => ({
      metadata: { ...(g ? { name: g } : {}), creationTimestamp: null },
      versions: sortedVersions(versions).map((v) => ({
        version: v,
        resources: defsIn(registry, g, v).map(discoveryResource),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
