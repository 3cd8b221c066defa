// Server-side strategic merge patch: maps merge recursively, lists described by the type's patch metadata merge
// by their merge key, all other lists are replaced. Supports the $patch, $retainKeys, $setElementOrder and
// $deleteFromPrimitiveList directives that kubectl sends.
import type { SmpSchema } from './smp-schema.ts';
import { clone, deepEqual, isObject, PatchError, type Json, type JsonObject } from './json-value.ts';

const deleteFromPrimitive = '$deleteFromPrimitiveList/';
const setElementOrder = '$setElementOrder/';

export function applyStrategicMergePatch(original: JsonObject, patch: Json, schema: SmpSchema): JsonObject {
  if (!isObject(patch)) throw new PatchError('json: cannot unmarshal non-object into Go value of type map[string]interface {}');
  const merged = mergeMap(clone(original), patch, schema);
  if (merged === undefined) throw new PatchError('the patch deletes the whole object', 422);
  return merged;
}

/** Returns undefined when the patch deletes the map (`$patch: delete`). */
function mergeMap(original: JsonObject, patch: JsonObject, schema: SmpSchema): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive !== undefined) {
    if (directive === 'delete') return undefined;
    if (directive === 'replace') return stripDirectives(patch, schema);
    if (directive !== 'merge') throw new PatchError(`Unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  }
  let retain: string[] | undefined;
  if (Object.hasOwn(patch, '$retainKeys')) {
    const keys = patch.$retainKeys;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
      throw new PatchError('invalid patch: the value of $retainKeys must be a list of strings');
    }
    retain = keys as string[];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(setElementOrder)) continue;
    if (k.startsWith(deleteFromPrimitive)) {
      const field = k.slice(deleteFromPrimitive.length);
      if (!Array.isArray(v)) throw new PatchError('invalid patch: $deleteFromPrimitiveList must hold a list');
      const current = original[field];
      if (Array.isArray(current)) original[field] = current.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    const fieldSchema = schema.fields?.[k] ?? {};
    if (v === null) {
      delete original[k];
      continue;
    }
    const cur = original[k];
    if (isObject(v)) {
      const merged = mergeMap(isObject(cur) ? cur : {}, v, fieldSchema);
      if (merged === undefined) delete original[k];
      else original[k] = merged;
    } else if (Array.isArray(v) && fieldSchema.list) {
      original[k] = mergeList(Array.isArray(cur) ? cur : [], v, fieldSchema);
    } else {
      // Like Go's mergeMap: a list replacing an existing one is taken as is; a new one loses its null members.
      original[k] = Array.isArray(v) && cur === undefined ? stripList(v, fieldSchema) : v;
    }
  }
  if (retain) {
    for (const k of Object.keys(original)) if (!retain.includes(k)) delete original[k];
  }
  return original;
}

function stripDirectives(patch: JsonObject, schema: SmpSchema): JsonObject {
  const { $patch: _p, ...rest } = patch;
  return mergeMap({}, rest, schema) ?? {};
}

function stripList(list: Json[], schema: SmpSchema): Json[] {
  return list
    .filter((x) => !(isObject(x) && x.$patch !== undefined && Object.keys(x).length === 1))
    .map((x) => (isObject(x) ? mergeMap({}, x, schema.items ?? {}) ?? {} : x));
}

function mergeList(original: Json[], patch: Json[], schema: SmpSchema): Json[] {
  const key = schema.list?.key;
  if (patch.some((x) => isObject(x) && x.$patch === 'replace' && Object.keys(x).length === 1)) {
    return stripList(patch, schema);
  }
  if (key === undefined) {
    const out = [...original];
    for (const x of patch) {
      if (isObject(x) || Array.isArray(x)) throw new PatchError('invalid patch: a primitive list holds non-primitive values');
      if (!out.some((y) => deepEqual(x, y))) out.push(x);
    }
    return out;
  }
  const out = [...original];
  const itemSchema = schema.items ?? {};
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`invalid patch: list of maps with merge key "${key}" holds a non-map value`);
    const keyValue = item[key];
    if (keyValue === undefined) {
      throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    }
    const at = out.findIndex((y) => isObject(y) && deepEqual(y[key], keyValue));
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) {
      const merged = mergeMap(out[at] as JsonObject, item, itemSchema);
      if (merged === undefined) out.splice(at, 1);
      else out[at] = merged;
    } else {
      const fresh = mergeMap({}, item, itemSchema);
      if (fresh) out.push(fresh);
    }
  }
  return out;
}
