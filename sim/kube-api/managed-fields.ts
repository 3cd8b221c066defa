// Field ownership for server-side apply: which manager set which leaf fields (metadata.managedFields, FieldsV1),
// conflicts when an applier would change a field another manager owns, and removal of fields an applier stopped
// applying. Lists with a patch merge key are tracked per element (k:{"name":…}); other lists are atomic leaves.
import { ApiError } from './errors.ts';
import type { SmpSchema } from './patch/smp-schema.ts';
import { deepEqual, isObject, type Json, type JsonObject } from './patch/json-value.ts';
import { timeNow } from './meta.ts';
import type { KubeObject } from './types.ts';

type Segment = { field: string } | { key: string; value: Json };
type FieldPath = Segment[];

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

const untracked = new Set(['apiVersion', 'kind', 'status']);
const untrackedMeta = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'generateName']);

function collect(value: Json, schema: SmpSchema, prefix: FieldPath, out: FieldPath[]): void {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) collect(v, schema.fields?.[k] ?? {}, [...prefix, { field: k }], out);
    return;
  }
  const key = schema.list?.key;
  if (Array.isArray(value) && key && value.every((x) => isObject(x) && x[key] !== undefined)) {
    for (const item of value as JsonObject[]) {
      const elementPath: FieldPath = [...prefix, { key, value: item[key] as Json }];
      const before = out.length;
      for (const [k, v] of Object.entries(item)) collect(v, schema.items?.fields?.[k] ?? {}, [...elementPath, { field: k }], out);
      if (out.length === before) out.push(elementPath);
    }
    return;
  }
  out.push(prefix);
}

/** Leaf paths of the fields an object (or apply configuration) sets. */
export function fieldPaths(obj: JsonObject, schema: SmpSchema, includeStatus = false): FieldPath[] {
  const out: FieldPath[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (untracked.has(k) && !(includeStatus && k === 'status')) continue;
    if (k === 'metadata' && isObject(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (!untrackedMeta.has(mk)) collect(mv, schema.fields?.metadata?.fields?.[mk] ?? {}, [{ field: 'metadata' }, { field: mk }], out);
      }
      continue;
    }
    collect(v, schema.fields?.[k] ?? {}, [{ field: k }], out);
  }
  return out;
}

function segmentKey(s: Segment): string {
  return 'field' in s ? `f:${s.field}` : `k:${JSON.stringify({ [s.key]: s.value })}`;
}

export function pathString(p: FieldPath): string {
  return p.map((s) => ('field' in s ? `.${s.field}` : `[${s.key}=${JSON.stringify(s.value)}]`)).join('');
}

const idOf = (p: FieldPath): string => p.map(segmentKey).join('\u0000');

export function toFieldsV1(paths: readonly FieldPath[]): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let node = root;
    for (const s of p) {
      const k = segmentKey(s);
      const next = (node[k] ?? {}) as JsonObject;
      if (!('field' in s)) next['.'] = {};
      node[k] = next;
      node = next;
    }
  }
  return root;
}

export function fromFieldsV1(v1: unknown): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (node: unknown, prefix: FieldPath) => {
    const entries = isObject(node) ? Object.entries(node).filter(([k]) => k !== '.') : [];
    if (entries.length === 0 && prefix.length) out.push(prefix);
    for (const [k, child] of entries) {
      if (k.startsWith('f:')) walk(child, [...prefix, { field: k.slice(2) }]);
      else if (k.startsWith('k:')) {
        try {
          const parsed = JSON.parse(k.slice(2)) as JsonObject;
          const [key, value] = Object.entries(parsed)[0] ?? [];
          if (key !== undefined) walk(child, [...prefix, { key, value: value as Json }]);
        } catch {
          // an entry we did not write ourselves: ignore it
        }
      }
    }
  };
  walk(v1, []);
  return out;
}

function valueAt(obj: Json, p: FieldPath): Json | undefined {
  let cur: Json | undefined = obj;
  for (const s of p) {
    if ('field' in s) cur = isObject(cur) ? cur[s.field] : undefined;
    else cur = Array.isArray(cur) ? cur.find((x) => isObject(x) && deepEqual(x[s.key], s.value)) : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function removeAt(obj: JsonObject, p: FieldPath): void {
  const parentPath = p.slice(0, -1);
  const last = p[p.length - 1];
  const parent = parentPath.length ? valueAt(obj, parentPath) : obj;
  if (!last || parent === undefined) return;
  if ('field' in last) {
    if (isObject(parent)) delete parent[last.field];
  } else if (Array.isArray(parent)) {
    const i = parent.findIndex((x) => isObject(x) && deepEqual(x[last.key], last.value));
    if (i >= 0) parent.splice(i, 1);
  }
}

function entries(o: KubeObject): ManagedFieldsEntry[] {
  return (o.metadata.managedFields ?? []) as ManagedFieldsEntry[];
}

function overlaps(a: FieldPath, b: FieldPath): boolean {
  const ia = idOf(a);
  const ib = idOf(b);
  return ia === ib || ia.startsWith(ib + '\u0000') || ib.startsWith(ia + '\u0000');
}

export interface ApplyOwnership {
  /** fields the applier dropped since its last apply and nobody else owns: remove them from the object */
  removed: FieldPath[];
  managedFields: ManagedFieldsEntry[];
}

/** Checks conflicts and computes the ownership after `manager` applies `config` over `live`. */
export function planApply(live: KubeObject, config: JsonObject, schema: SmpSchema, manager: string, apiVersion: string, force: boolean, subresource?: string): ApplyOwnership {
  const applied = fieldPaths(config, schema, subresource === 'status');
  const others = entries(live).filter((e) => !(e.manager === manager && e.operation === 'Apply' && (e.subresource ?? '') === (subresource ?? '')));
  const conflicts: Array<{ entry: ManagedFieldsEntry; path: FieldPath }> = [];
  for (const e of others) {
    for (const owned of fromFieldsV1(e.fieldsV1)) {
      const hit = applied.find((p) => overlaps(p, owned));
      if (!hit) continue;
      const longer = idOf(owned).length >= idOf(hit).length ? owned : hit;
      if (!deepEqual(valueAt(live as unknown as Json, longer), valueAt(config, longer))) conflicts.push({ entry: e, path: longer });
    }
  }
  if (conflicts.length && !force) throw conflictError(conflicts);
  const previous = entries(live).find((e) => e.manager === manager && e.operation === 'Apply' && (e.subresource ?? '') === (subresource ?? ''));
  const appliedIds = new Set(applied.map(idOf));
  const stillOwned = (p: FieldPath) => others.some((e) => fromFieldsV1(e.fieldsV1).some((q) => idOf(q) === idOf(p)));
  const removed = previous ? fromFieldsV1(previous.fieldsV1).filter((p) => !appliedIds.has(idOf(p)) && !stillOwned(p)) : [];
  // Equal values are shared ownership; a forced apply takes conflicting fields away from their owners.
  const trimmed = (force ? others.map((e) => ({ ...e, fieldsV1: toFieldsV1(fromFieldsV1(e.fieldsV1).filter((p) => !applied.some((q) => overlaps(p, q)))) })) : others)
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
  const mine: ManagedFieldsEntry = { manager, operation: 'Apply', apiVersion, time: timeNow(), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(applied), ...(subresource ? { subresource } : {}) };
  return { removed, managedFields: [...trimmed, mine] };
}

export function removeFields(obj: JsonObject, paths: readonly FieldPath[]): void {
  for (const p of paths) removeAt(obj, p);
}

/** Ownership after a non-apply write: the manager takes every field whose value it changed. */
export function recordUpdate(previous: KubeObject | undefined, next: KubeObject, schema: SmpSchema, manager: string, apiVersion: string, subresource?: string): ManagedFieldsEntry[] {
  const status = subresource === 'status';
  const nextPaths = fieldPaths(next as unknown as JsonObject, schema, status).filter((p) => !status || ('field' in (p[0] as Segment) && (p[0] as { field: string }).field === 'status'));
  const changed = previous
    ? nextPaths.filter((p) => !deepEqual(valueAt(previous as unknown as Json, p), valueAt(next as unknown as Json, p)))
    : nextPaths;
  const existing = previous ? entries(previous) : [];
  if (changed.length === 0) return existing;
  const changedIds = new Set(changed.map(idOf));
  const sameEntry = (e: ManagedFieldsEntry) => e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? '');
  const mineBefore = existing.find(sameEntry);
  const kept = existing.filter((e) => !sameEntry(e))
    .map((e) => ({ ...e, fieldsV1: toFieldsV1(fromFieldsV1(e.fieldsV1).filter((p) => !changedIds.has(idOf(p)))) }))
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
  const mine = [...(mineBefore ? fromFieldsV1(mineBefore.fieldsV1).filter((p) => valueAt(next as unknown as Json, p) !== undefined && !changedIds.has(idOf(p))) : []), ...changed];
  return [...kept, { manager, operation: 'Update', apiVersion, time: timeNow(), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(mine), ...(subresource ? { subresource } : {}) }];
}

function printManager(e: ManagedFieldsEntry): string {
  const base = `"${e.manager}"${e.subresource ? ` with subresource "${e.subresource}"` : ''}`;
  return e.operation === 'Update' ? `${base} using ${e.apiVersion} at ${e.time}` : base;
}

function conflictError(conflicts: Array<{ entry: ManagedFieldsEntry; path: FieldPath }>): ApiError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.entry)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    const c = conflicts[0] as { entry: ManagedFieldsEntry; path: FieldPath };
    message = `Apply failed with 1 conflict: conflict with ${printManager(c.entry)}: ${pathString(c.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(printManager(c.entry), [...(byManager.get(printManager(c.entry)) ?? []), pathString(c.path)]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) ?? []).map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}
