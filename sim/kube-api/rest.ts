// Generic REST semantics over the store: create, get, list, update, patch (four flavours), delete with
// preconditions, finalizers, graceful pod deletion and owner-reference cleanup. Used by the HTTP layer and by the
// built-in controllers alike, so both see exactly the same rules.
import { parse as parseYaml } from 'yaml';
import { ApiError, errors, type QualifiedResource, type StatusCause } from './errors.ts';
import { newUid, randomSuffix, timeNow } from './meta.ts';
import { applyJsonPatch } from './patch/json-patch.ts';
import { applyMergePatch } from './patch/merge-patch.ts';
import { applyStrategicMergePatch } from './patch/strategic-merge.ts';
import { clone, deepEqual, isObject, PatchError, type Json, type JsonObject } from './patch/json-value.ts';
import { planApply, recordUpdate, removeFields, type ManagedFieldsEntry } from './managed-fields.ts';
import { resourceKey, type ResourceDef } from './resources.ts';
import { matchesFields, matchesRequirements, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { Store } from './store.ts';
import { defaultStrategy, nameProblem, strategies, type Strategy } from './strategy.ts';
import type { KubeObject, ObjectMeta, Pod } from './types.ts';

export const patchTypes = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** Who writes: the field manager recorded in managedFields, and whether the write is a dry run. */
export interface WriteOptions { dryRun?: boolean; fieldManager?: string }

const controllerManager = 'kube-controller-manager';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
  limit?: number;
  continueToken?: string | null;
}

export interface ListResult { items: KubeObject[]; resourceVersion: string; continueToken?: string; remainingItemCount?: number }

export interface RestHooks {
  /** seconds of graceful termination a pod deletion gets (0 = remove now) */
  podGracePeriod(pod: Pod, requested: number | undefined): number;
}

type Rec = Record<string, unknown>;

function qr(def: ResourceDef): QualifiedResource {
  return { group: def.group, resource: def.resource };
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** Decodes a request body (JSON, or YAML for apply patches and YAML creates). */
export function decodeBody(raw: string, contentType: string): unknown {
  try {
    if (/yaml/.test(contentType)) return parseYaml(raw);
    return JSON.parse(raw);
  } catch (e) {
    throw errors.badRequest(`error decoding ${/yaml/.test(contentType) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function bodyProblem(def: ResourceDef, message: string): ApiError {
  return errors.badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${message}`);
}

function asObject(def: ResourceDef, body: unknown): KubeObject {
  if (!isObject(body)) throw bodyProblem(def, 'json: cannot unmarshal non-object into Go value of type struct');
  const meta = body.metadata ?? {};
  if (!isObject(meta)) throw bodyProblem(def, 'json: cannot unmarshal non-object into Go struct field .metadata of type v1.ObjectMeta');
  for (const f of ['labels', 'annotations'] as const) {
    const m = meta[f];
    if (m === undefined || m === null) continue;
    if (!isObject(m) || !Object.values(m).every((v) => typeof v === 'string')) {
      throw bodyProblem(def, `json: cannot unmarshal into Go struct field ObjectMeta.metadata.${f} of type map[string]string`);
    }
  }
  for (const f of ['name', 'namespace', 'generateName', 'resourceVersion', 'uid'] as const) {
    if (meta[f] !== undefined && meta[f] !== null && typeof meta[f] !== 'string') {
      throw bodyProblem(def, `json: cannot unmarshal ${typeof meta[f]} into Go struct field ObjectMeta.metadata.${f} of type string`);
    }
  }
  if (meta.finalizers !== undefined && meta.finalizers !== null
    && !(Array.isArray(meta.finalizers) && meta.finalizers.every((x) => typeof x === 'string'))) {
    throw bodyProblem(def, 'json: cannot unmarshal into Go struct field ObjectMeta.metadata.finalizers of type []string');
  }
  for (const f of ['spec', 'status'] as const) {
    if (body[f] !== undefined && body[f] !== null && !isObject(body[f]) && def.builtin) {
      throw bodyProblem(def, `json: cannot unmarshal ${Array.isArray(body[f]) ? 'array' : typeof body[f]} into Go struct field ${def.kind}.${f}`);
    }
  }
  const obj = clone(body) as unknown as KubeObject;
  obj.metadata = clone(meta) as unknown as ObjectMeta;
  for (const [k, v] of Object.entries(obj.metadata)) if (v === null) delete (obj.metadata as unknown as Rec)[k];
  return obj;
}

const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function metadataCauses(def: ResourceDef, obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const problem = nameProblem(def.kind, obj.metadata.name);
  if (problem) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${obj.metadata.name}": ${problem}`, field: 'metadata.name' });
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    if (!labelKey.test(k) || k.length > 317) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`, field: 'metadata.labels' });
    if (!labelValue.test(v) || v.length > 63) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`, field: `metadata.labels` });
  }
  for (const k of Object.keys(obj.metadata.annotations ?? {})) {
    if (!labelKey.test(k)) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`, field: 'metadata.annotations' });
  }
  return causes;
}

/** Everything but metadata and status: what metadata.generation tracks. */
function specPart(o: KubeObject): Rec {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

function withoutVolatile(o: KubeObject): KubeObject {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
  return { ...o, metadata: meta as ObjectMeta };
}

/** Finalizers that hold a deleted object; a namespace's spec.finalizers keep it Terminating until it is emptied. */
function pendingFinalizers(def: ResourceDef, o: KubeObject): string[] {
  const out = [...(o.metadata.finalizers ?? [])];
  if (def.kind === 'Namespace' && def.group === '') out.push(...((o.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []));
  return out;
}

export class Rest {
  readonly store: Store;
  private readonly hooks: RestHooks;

  constructor(store: Store, hooks: RestHooks) {
    this.store = store;
    this.hooks = hooks;
  }

  private strategy(def: ResourceDef): Strategy {
    return strategies[def.kind] ?? defaultStrategy;
  }

  private key(def: ResourceDef): string {
    return resourceKey(def.group, def.resource);
  }

  /** The object as the client sees it: typed for the requested version. */
  present(def: ResourceDef, obj: KubeObject): KubeObject {
    const { apiVersion: _a, kind: _k, ...rest } = obj;
    return { kind: def.kind, apiVersion: apiVersionOf(def), ...rest } as KubeObject;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(this.key(def), def.namespaced ? namespace : undefined, name);
    if (!obj) throw errors.notFound(qr(def), name);
    return obj;
  }

  find(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(this.key(def), def.namespaced ? namespace : undefined, name);
  }

  list(def: ResourceDef, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, def.kind);
    let startAfter = '';
    if (opts.continueToken) {
      try {
        const t = JSON.parse(Buffer.from(opts.continueToken, 'base64url').toString('utf8')) as { start?: unknown; rv?: unknown };
        if (typeof t.start !== 'string' || typeof t.rv !== 'number') throw new Error('bad token');
        if (t.rv < this.store.oldestWatchableRv()) {
          throw errors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
        }
        startAfter = t.start;
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw errors.badRequest('continue key is not valid: illegal base64 data at input byte 0');
      }
    }
    const rv = String(this.store.currentRv());
    const all = this.store.list(this.key(def), def.namespaced ? namespace : undefined).filter((o) => {
      const id = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      return id > startAfter && matchesRequirements(labels, o.metadata.labels) && matchesFields(fields, o as unknown as Rec);
    });
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    if (limit === undefined || all.length <= limit) return { items: all, resourceVersion: rv };
    const items = all.slice(0, limit);
    const last = items[items.length - 1] as KubeObject;
    const start = `${last.metadata.namespace ?? ''}/${last.metadata.name}`;
    const continueToken = Buffer.from(JSON.stringify({ rv: this.store.currentRv(), start })).toString('base64url');
    // kube-apiserver cannot count what a selector would leave, so it reports remainingItemCount only without one.
    const selected = Boolean(opts.labelSelector || opts.fieldSelector);
    return { items, resourceVersion: rv, continueToken, ...(selected ? {} : { remainingItemCount: all.length - limit }) };
  }

  private checkNamespace(def: ResourceDef, namespace: string | undefined, forCreate: boolean): void {
    if (!def.namespaced) return;
    const ns = this.store.get('namespaces', undefined, namespace ?? '');
    if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, namespace ?? '');
    if (forCreate && ns.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `${def.resource}${def.group ? '.' + def.group : ''} "" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        { kind: def.resource, ...(def.group ? { group: def.group } : {}), causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] });
    }
  }

  private validate(def: ResourceDef, obj: KubeObject): void {
    const s = this.strategy(def);
    const decode = s.decodeProblem?.(obj);
    if (decode) throw bodyProblem(def, decode);
    const causes = [...metadataCauses(def, obj), ...(s.validate?.(obj) ?? [])];
    if (causes.length) throw errors.invalid(def.kind, def.group, obj.metadata.name, causes);
  }

  private checkTypeMeta(def: ResourceDef, obj: KubeObject): void {
    const want = apiVersionOf(def);
    if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== def.kind) {
      throw errors.badRequest(`the server could not find the requested resource: kind ${String(obj.kind)} is not ${def.kind}`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== want) {
      throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`);
    }
  }

  create(def: ResourceDef, namespace: string | undefined, body: unknown, opts: WriteOptions = {}, managed?: ManagedFieldsEntry[]): KubeObject {
    const obj = asObject(def, body);
    this.checkTypeMeta(def, obj);
    const meta = obj.metadata;
    if (def.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
    } else delete meta.namespace;
    if (!meta.name) {
      if (!meta.generateName) {
        throw errors.invalid(def.kind, def.group, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
      }
      meta.name = meta.generateName + randomSuffix();
    }
    this.checkNamespace(def, meta.namespace, true);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const strategy = this.strategy(def);
    strategy.defaults?.(obj);
    if (strategy.initialStatus) obj.status = strategy.initialStatus(obj);
    else if (!def.builtin && def.statusSubresource) delete obj.status;
    this.validate(def, obj);
    if (this.find(def, meta.namespace, meta.name)) throw errors.alreadyExists(qr(def), meta.name);
    meta.uid = newUid();
    meta.creationTimestamp = timeNow();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (def.generation) meta.generation = 1;
    else delete meta.generation;
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    meta.managedFields = managed ?? recordUpdate(undefined, obj, def.smp ?? {}, opts.fieldManager || controllerManager, apiVersionOf(def));
    if (opts.dryRun) return { ...obj, metadata: { ...meta, resourceVersion: '' } };
    return this.store.create(this.key(def), obj);
  }

  /** Writes `next` over `current` with the rules of an update (or a status update). */
  private write(def: ResourceDef, current: KubeObject, incoming: KubeObject, subresource: string | undefined, opts: WriteOptions,
    managed?: ManagedFieldsEntry[]): KubeObject {
    const next: KubeObject = subresource === 'status'
      ? { ...clone(current), status: incoming.status, metadata: { ...clone(current.metadata), labels: incoming.metadata.labels, annotations: incoming.metadata.annotations } as ObjectMeta }
      : incoming;
    if (next.metadata.labels === undefined) delete next.metadata.labels;
    if (next.metadata.annotations === undefined) delete next.metadata.annotations;
    if (subresource !== 'status' && def.statusSubresource) {
      if (current.status === undefined) delete next.status;
      else next.status = clone(current.status);
    }
    const m = next.metadata;
    const c = current.metadata;
    m.name = c.name;
    if (c.namespace) m.namespace = c.namespace;
    m.uid = c.uid;
    m.creationTimestamp = c.creationTimestamp;
    if (c.deletionTimestamp) m.deletionTimestamp = c.deletionTimestamp; else delete m.deletionTimestamp;
    if (c.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    if (c.generateName) m.generateName = c.generateName;
    next.apiVersion = apiVersionOf(def);
    next.kind = def.kind;
    this.strategy(def).defaults?.(next);
    if (def.generation) {
      m.generation = (c.generation ?? 1) + (deepEqual(specPart(next), specPart(current)) ? 0 : 1);
    } else delete m.generation;
    if (c.deletionTimestamp && (m.finalizers ?? []).some((f) => !(c.finalizers ?? []).includes(f))) {
      throw errors.invalid(def.kind, def.group, m.name, [{ reason: 'FieldValueForbidden', message: 'Forbidden: no new finalizers can be added if the object is being deleted', field: 'metadata.finalizers' }]);
    }
    this.validate(def, next);
    const immutability = subresource ? [] : this.strategy(def).validateUpdate?.(next, current) ?? [];
    if (immutability.length) throw errors.invalid(def.kind, def.group, m.name, immutability);
    if (deepEqual(withoutVolatile(next), withoutVolatile(current))) return current;
    m.managedFields = managed ?? recordUpdate(current, next, def.smp ?? {}, opts.fieldManager || controllerManager, apiVersionOf(def), subresource);
    if (opts.dryRun) return next;
    if (m.deletionTimestamp && pendingFinalizers(def, next).length === 0 && (m.deletionGracePeriodSeconds ?? 0) === 0) {
      return this.store.remove(this.key(def), next);
    }
    return this.store.update(this.key(def), next, current);
  }

  private checkPreconditionRv(def: ResourceDef, current: KubeObject, rv: string | undefined): void {
    if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion) {
      throw errors.conflict(qr(def), current.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
  }

  update(def: ResourceDef, namespace: string | undefined, name: string, body: unknown, subresource?: string, opts: WriteOptions = {}): KubeObject {
    const obj = asObject(def, body);
    this.checkTypeMeta(def, obj);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (def.namespaced && obj.metadata.namespace && obj.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const current = this.get(def, namespace, name);
    this.checkPreconditionRv(def, current, obj.metadata.resourceVersion);
    obj.metadata.name = name;
    return this.write(def, current, obj, subresource, opts);
  }

  patch(def: ResourceDef, namespace: string | undefined, name: string, contentType: string, raw: string,
    opts: WriteOptions & { subresource?: string; force?: boolean } = {}): { object: KubeObject; created: boolean } {
    const type = contentType.split(';')[0]?.trim() ?? '';
    const accepted = [patchTypes.json, patchTypes.merge, patchTypes.apply, ...(def.smp ? [patchTypes.strategic] : [])];
    if (!accepted.includes(type as never)) throw errors.unsupportedMediaType(accepted);
    const patch = decodeBody(raw, type) as Json;
    const current = this.find(def, namespace, name);
    let managed: ManagedFieldsEntry[] | undefined;
    let dropped: Parameters<typeof removeFields>[1] = [];
    if (type === patchTypes.apply) {
      if (!isObject(patch)) throw errors.badRequest('error decoding YAML: the apply configuration must be an object');
      if (!opts.fieldManager) throw errors.badRequest('PATCH requests with apply content type must have a fieldManager');
      const plan = planApply(current ?? { metadata: {} as ObjectMeta }, patch, def.smp ?? {}, opts.fieldManager, apiVersionOf(def), opts.force ?? false, opts.subresource);
      managed = plan.managedFields;
      dropped = plan.removed;
      if (!current) {
        if (opts.subresource) throw errors.notFound(qr(def), name);
        const created = this.create(def, namespace, { ...patch, metadata: { ...(isObject(patch.metadata) ? patch.metadata : {}), name } }, opts, managed);
        return { object: created, created: true };
      }
    }
    if (!current) throw errors.notFound(qr(def), name);
    const base = clone(current) as unknown as JsonObject;
    let patched: Json;
    try {
      switch (type) {
        case patchTypes.json: patched = applyJsonPatch(base, patch); break;
        case patchTypes.merge: patched = applyMergePatch(base, patch); break;
        case patchTypes.strategic: patched = applyStrategicMergePatch(base, patch, def.smp ?? {}); break;
        default:
          patched = applyStrategicMergePatch(base, patch, def.smp ?? {});
          removeFields(patched, dropped);
      }
    } catch (e) {
      if (!(e instanceof PatchError)) throw e;
      if (e.status === 422 && type === patchTypes.json) throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
      throw e.status === 422 ? new ApiError(422, 'Invalid', e.message, {}) : errors.badRequest(e.message);
    }
    const obj = asObject(def, patched);
    if (obj.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    this.checkTypeMeta(def, obj);
    const requestedRv = isObject(patch) && isObject(patch.metadata) ? patch.metadata.resourceVersion : undefined;
    if (typeof requestedRv === 'string') this.checkPreconditionRv(def, current, requestedRv);
    obj.metadata.resourceVersion = current.metadata.resourceVersion;
    return { object: this.write(def, current, obj, opts.subresource, opts, managed), created: false };
  }

  /** Returns the object after the request: still present (graceful or finalizers) or as it was when removed. */
  delete(def: ResourceDef, namespace: string | undefined, name: string, options: DeleteOptions = {}): { object: KubeObject; removed: boolean } {
    const current = this.get(def, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw errors.conflict(qr(def), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw errors.conflict(qr(def), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    }
    const dryRun = (options.dryRun ?? []).includes('All');
    const grace = def.kind === 'Pod' && def.group === '' ? this.hooks.podGracePeriod(current as Pod, options.gracePeriodSeconds) : 0;
    const finalizers = pendingFinalizers(def, current);
    if (options.propagationPolicy === 'Orphan' && !dryRun) this.orphanDependents(current.metadata.uid);
    const now = Date.now();
    if (current.metadata.deletionTimestamp) {
      const remaining = current.metadata.deletionGracePeriodSeconds ?? 0;
      if (finalizers.length === 0 && (grace === 0 || remaining === 0)) return this.remove(def, current, dryRun);
      if (grace < remaining) {
        const next = clone(current);
        next.metadata.deletionGracePeriodSeconds = grace;
        next.metadata.deletionTimestamp = timeNow(now + grace * 1000);
        return { object: dryRun ? next : this.store.update(this.key(def), next, current), removed: false };
      }
      return { object: current, removed: false };
    }
    if (grace === 0 && finalizers.length === 0) return this.remove(def, current, dryRun);
    const next = clone(current);
    next.metadata.deletionTimestamp = timeNow(now + grace * 1000);
    next.metadata.deletionGracePeriodSeconds = grace;
    if (def.generation) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    return { object: dryRun ? next : this.store.update(this.key(def), next, current), removed: false };
  }

  private remove(def: ResourceDef, current: KubeObject, dryRun: boolean): { object: KubeObject; removed: boolean } {
    return { object: dryRun ? current : this.store.remove(this.key(def), current), removed: true };
  }

  private orphanDependents(uid: string): void {
    for (const [resource, objects] of this.allObjects()) {
      for (const o of objects) {
        const refs = o.metadata.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === uid)) continue;
        const next = clone(o);
        next.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
        if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
        this.store.update(resource, next, o);
      }
    }
  }

  /** Every stored object, grouped by resource key (for garbage collection). */
  allObjects(): Array<[string, KubeObject[]]> {
    return this.store.resources().map((r) => [r, this.store.list(r)]);
  }
}
