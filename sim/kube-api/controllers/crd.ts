// CustomResourceDefinitions: serving their resources as soon as they are stored, and their status conditions.
import type { PrinterColumn, ResourceDef, ResourceRegistry } from '../resources.ts';
import { allVerbs } from '../resources.ts';
import type { Rest } from '../rest.ts';
import type { Store, StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { deepEqual } from '../patch/json-value.ts';
import type { Controller } from './manager.ts';
import { setCondition, writeStatus, type Defs } from './util.ts';

interface CrdSpec {
  group: string;
  scope: string;
  names: { plural: string; singular?: string; kind: string; listKind?: string; shortNames?: string[]; categories?: string[] };
  versions?: Array<{ name: string; served?: boolean; storage?: boolean; subresources?: { status?: unknown; scale?: unknown }; additionalPrinterColumns?: PrinterColumn[] }>;
}

export function crdResourceDefs(crd: KubeObject): ResourceDef[] {
  const spec = crd.spec as CrdSpec | undefined;
  if (!spec?.group || !spec.names?.plural || !spec.names.kind) return [];
  return (spec.versions ?? []).filter((v) => v.served !== false).map((v) => ({
    group: spec.group, version: v.name, resource: spec.names.plural, singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    kind: spec.names.kind, namespaced: spec.scope !== 'Cluster', shortNames: spec.names.shortNames ?? [],
    categories: spec.names.categories ?? [], verbs: allVerbs,
    subresources: [
      ...(v.subresources?.status !== undefined ? [{ name: 'status', kind: spec.names.kind, group: spec.group, version: v.name, verbs: ['get', 'patch', 'update'] }] : []),
      ...(v.subresources?.scale !== undefined ? [{ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] }] : []),
    ],
    generation: true, statusSubresource: v.subresources?.status !== undefined, smp: undefined, returnsDeletedObject: true, builtin: false,
    ...(v.additionalPrinterColumns ? { printerColumns: v.additionalPrinterColumns } : {}),
  }));
}

/** Keeps the registry in step with stored CRDs, synchronously, so a CR can be created right after its CRD. */
export function watchCrds(store: Store, registry: ResourceRegistry): () => void {
  for (const crd of store.list('customresourcedefinitions.apiextensions.k8s.io')) registry.registerCustom(crdResourceDefs(crd), crd.metadata.name);
  return store.subscribe((e: StoreEvent) => {
    if (e.resource !== 'customresourcedefinitions.apiextensions.k8s.io') return;
    if (e.type === 'DELETED') {
      for (const d of crdResourceDefs(e.object)) {
        for (const o of store.list(`${d.resource}.${d.group}`)) store.remove(`${d.resource}.${d.group}`, o);
      }
      registry.unregisterCustom(e.object.metadata.name);
    } else registry.registerCustom(crdResourceDefs(e.object), e.object.metadata.name);
  });
}

export function crdStatusController(rest: Rest, defs: Defs): Controller {
  return {
    name: 'crd-status',
    sync(now) {
      for (const crd of rest.list(defs.crds, undefined).items) {
        const spec = crd.spec as CrdSpec;
        const current = (crd.status ?? {}) as { conditions?: [] };
        let conditions = setCondition(current.conditions, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }, now);
        conditions = setCondition(conditions, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }, now);
        const { listKind, ...names } = spec.names;
        const status = {
          conditions,
          acceptedNames: { ...names, listKind: listKind ?? `${spec.names.kind}List` },
          storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
        };
        if (!deepEqual(crd.status ?? {}, status)) writeStatus(rest, defs.crds, crd, status);
      }
    },
  };
}
