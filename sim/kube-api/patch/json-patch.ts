// RFC 6902 JSON Patch with the semantics of evanphx/json-patch, which kube-apiserver uses.
import { clone, deepEqual, isObject, PatchError, type Json } from './json-value.ts';

interface Op { op: string; path: string; value?: Json; from?: string }

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${JSON.stringify(pointer)}`, 422);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function decodeOps(raw: unknown): Op[] {
  if (!Array.isArray(raw)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return raw.map((o) => {
    if (!isObject(o) || typeof o.op !== 'string') throw new PatchError('Unexpected kind: unknown');
    if (typeof o.path !== 'string') throw new PatchError(`operation missing path: ${o.op}`, 422);
    const op: Op = { op: o.op, path: o.path };
    if (Object.hasOwn(o, 'value')) op.value = o.value as Json;
    if (typeof o.from === 'string') op.from = o.from;
    return op;
  });
}

function arrayIndex(token: string, length: number, forInsert: boolean): number {
  if (forInsert && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`invalid array index: ${token}`, 422);
  const i = Number(token);
  if (i > length || (!forInsert && i === length)) throw new PatchError(`array index out of bounds: ${token}`, 422);
  return i;
}

/** Returns the container that holds the last token, and that token. */
function resolveParent(doc: Json, tokens: string[], pointer: string): { parent: Json; key: string } {
  if (tokens.length === 0) throw new PatchError(`cannot operate on the document root: ${pointer}`, 422);
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false)] as Json;
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t] as Json;
    else throw new PatchError(`doc is missing path: "${pointer}": missing value`, 422);
  }
  return { parent: cur, key: tokens[tokens.length - 1] as string };
}

function get(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length, false)] as Json;
  if (isObject(parent) && Object.hasOwn(parent, key)) return parent[key] as Json;
  throw new PatchError(`doc is missing key: ${pointer}: missing value`, 422);
}

function add(doc: Json, pointer: string, value: Json): void {
  const { parent, key } = resolveParent(doc, parsePointer(pointer), pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, true), 0, value);
  else if (isObject(parent)) parent[key] = value;
  else throw new PatchError(`add operation does not apply: doc is missing path: "${pointer}": missing value`, 422);
}

function remove(doc: Json, pointer: string): Json {
  const { parent, key } = resolveParent(doc, parsePointer(pointer), pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(key, parent.length, false), 1)[0] as Json;
  if (isObject(parent) && Object.hasOwn(parent, key)) {
    const v = parent[key] as Json;
    delete parent[key];
    return v;
  }
  throw new PatchError(`remove operation does not apply: doc is missing path: "${pointer}": missing value`, 422);
}

function replace(doc: Json, pointer: string, value: Json): void {
  const { parent, key } = resolveParent(doc, parsePointer(pointer), pointer);
  if (Array.isArray(parent)) parent[arrayIndex(key, parent.length, false)] = value;
  else if (isObject(parent) && Object.hasOwn(parent, key)) parent[key] = value;
  else throw new PatchError(`replace operation does not apply: doc is missing key: ${pointer}: missing value`, 422);
}

function requireValue(op: Op): Json {
  if (op.value === undefined) throw new PatchError(`missing value for ${op.op} operation`, 422);
  return op.value;
}

/** Applies the operations to a copy of `doc`. The document root itself cannot be replaced (objects stay objects). */
export function applyJsonPatch(doc: Json, rawPatch: unknown): Json {
  const ops = decodeOps(rawPatch);
  const out = clone(doc);
  for (const op of ops) {
    switch (op.op) {
      case 'add': add(out, op.path, clone(requireValue(op))); break;
      case 'remove': remove(out, op.path); break;
      case 'replace': replace(out, op.path, clone(requireValue(op))); break;
      case 'move': {
        if (op.from === undefined) throw new PatchError('missing from for move operation', 422);
        if (op.path.startsWith(op.from + '/')) throw new PatchError('cannot move a value into one of its children', 422);
        add(out, op.path, remove(out, op.from));
        break;
      }
      case 'copy': {
        if (op.from === undefined) throw new PatchError('missing from for copy operation', 422);
        add(out, op.path, clone(get(out, op.from)));
        break;
      }
      case 'test': {
        const actual = op.path === '' ? out : get(out, op.path);
        if (!deepEqual(actual, op.value ?? null)) throw new PatchError(`testing value ${op.path} failed: test failed`, 422);
        break;
      }
      default: throw new PatchError(`Unexpected kind: ${op.op}`, 422);
    }
  }
  return out;
}
