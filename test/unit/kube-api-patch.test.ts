// Property tests of the simulated API server's patch handling: JSON Patch (RFC 6902) against a model of each
// operation, JSON Merge Patch (RFC 7386) laws, and strategic merge patch on lists with merge keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyJsonPatch } from '../../sim/kube-api/patch/json-patch.ts';
import { applyMergePatch } from '../../sim/kube-api/patch/merge-patch.ts';
import { applyStrategicMergePatch } from '../../sim/kube-api/patch/strategic-merge.ts';
import { smpSchemas } from '../../sim/kube-api/patch/smp-schema.ts';
import { PatchError, type Json, type JsonObject } from '../../sim/kube-api/patch/json-value.ts';

const key = fc.constantFrom('a', 'b', 'c', 'd', 'x~y', 'p/q', '');
const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null));
const json: fc.Arbitrary<Json> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
})).value as fc.Arbitrary<Json>;
const object = fc.dictionary(key, json, { maxKeys: 5, noNullPrototype: true }) as fc.Arbitrary<JsonObject>;

const escape = (t: string) => t.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every JSON pointer to an existing value inside doc (not the root), with that value. */
function pointers(doc: Json, prefix = ''): Array<{ path: string; value: Json }> {
  const out: Array<{ path: string; value: Json }> = [];
  if (Array.isArray(doc)) doc.forEach((v, i) => { out.push({ path: `${prefix}/${i}`, value: v }, ...pointers(v, `${prefix}/${i}`)); });
  else if (doc !== null && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) out.push({ path: `${prefix}/${escape(k)}`, value: v }, ...pointers(v, `${prefix}/${escape(k)}`));
  }
  return out;
}

/** The model: read a pointer by walking the document. */
function read(doc: Json, pointer: string): Json | undefined {
  let cur: Json | undefined = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const t = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (cur !== null && typeof cur === 'object') cur = Object.hasOwn(cur, t) ? cur[t] : undefined;
    else return undefined;
  }
  return cur;
}

const docWithPointer = object.filter((d) => pointers(d).length > 0).chain((doc) =>
  fc.constantFrom(...pointers(doc)).map((p) => ({ doc, ...p })));

describe('JSON Patch (RFC 6902)', () => {
  it('replace sets exactly the addressed value; other top-level members are untouched', () => {
    fc.assert(fc.property(docWithPointer, json, ({ doc, path }, v) => {
      const out = applyJsonPatch(doc, [{ op: 'replace', path, value: v }]);
      assert.deepEqual(read(out, path), v);
      const top = path.split('/')[1] as string;
      for (const k of Object.keys(doc)) if (escape(k) !== top) assert.deepEqual((out as JsonObject)[k], doc[k]);
    }));
  });

  it('test succeeds with the current value and leaves the document equal; a different value fails with 422', () => {
    fc.assert(fc.property(docWithPointer, json, ({ doc, path, value }, other) => {
      assert.deepEqual(applyJsonPatch(doc, [{ op: 'test', path, value }]), doc);
      fc.pre(JSON.stringify(other) !== JSON.stringify(value));
      assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path, value: other }]), (e: unknown) => e instanceof PatchError && e.status === 422);
    }));
  });

  it('add of a new member then remove of it is the identity', () => {
    fc.assert(fc.property(object, json, (doc, v) => {
      const path = '/__new';
      const added = applyJsonPatch(doc, [{ op: 'add', path, value: v }]);
      assert.deepEqual(read(added, path), v);
      assert.deepEqual(applyJsonPatch(added, [{ op: 'remove', path }]), doc);
    }));
  });

  it('remove makes the path absent (members) or shortens the array by one', () => {
    fc.assert(fc.property(docWithPointer, ({ doc, path }) => {
      const parentPath = path.slice(0, path.lastIndexOf('/'));
      const parent = parentPath === '' ? doc : read(doc, parentPath);
      const out = applyJsonPatch(doc, [{ op: 'remove', path }]);
      const after = parentPath === '' ? out : read(out, parentPath);
      if (Array.isArray(parent)) assert.equal((after as Json[]).length, parent.length - 1);
      else assert.equal(read(out, path), undefined);
    }));
  });

  it('move equals remove followed by add; copy leaves the source in place', () => {
    fc.assert(fc.property(docWithPointer.filter(({ path }) => path.split('/').length === 2), ({ doc, path, value }) => {
      const moved = applyJsonPatch(doc, [{ op: 'move', from: path, path: '/__dest' }]);
      const manual = applyJsonPatch(applyJsonPatch(doc, [{ op: 'remove', path }]), [{ op: 'add', path: '/__dest', value }]);
      assert.deepEqual(moved, manual);
      const copied = applyJsonPatch(doc, [{ op: 'copy', from: path, path: '/__dest' }]);
      assert.deepEqual(read(copied, path), value);
      assert.deepEqual(read(copied, '/__dest'), value);
    }));
  });

  it('a sequence of operations is the fold of single operations, and the input is never mutated', () => {
    fc.assert(fc.property(object, fc.array(fc.tuple(fc.constantFrom('k1', 'k2', 'k3'), json), { maxLength: 5 }), (doc, adds) => {
      const before = structuredClone(doc);
      const ops = adds.map(([k, v]) => ({ op: 'add', path: `/${k}`, value: v }));
      const all = applyJsonPatch(doc, ops);
      const stepwise = ops.reduce<Json>((d, op) => applyJsonPatch(d, [op]), doc);
      assert.deepEqual(all, stepwise);
      assert.deepEqual(doc, before);
    }));
  });

  it('operations on missing paths fail with a 422 PatchError, never anything else', () => {
    fc.assert(fc.property(object, fc.constantFrom('remove', 'replace'), (doc, op) => {
      assert.throws(() => applyJsonPatch(doc, [{ op, path: '/__missing/deeper', value: 1 }]), (e: unknown) => e instanceof PatchError && e.status === 422);
    }));
  });
});

describe('JSON Merge Patch (RFC 7386)', () => {
  it('is idempotent', () => {
    fc.assert(fc.property(object, object, (target, patch) => {
      const once = applyMergePatch(target, patch);
      assert.deepEqual(applyMergePatch(once, patch), once);
    }));
  });

  it('null deletes the member; members the patch does not name are kept', () => {
    fc.assert(fc.property(object, object, (target, patch) => {
      const out = applyMergePatch(target, patch) as JsonObject;
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) assert.ok(!Object.hasOwn(out, k));
      }
      for (const k of Object.keys(target)) if (!Object.hasOwn(patch, k)) assert.deepEqual(out[k], target[k]);
    }));
  });

  it('an empty patch is the identity and a non-object patch replaces the target', () => {
    fc.assert(fc.property(object, fc.oneof(leaf, fc.array(json, { maxLength: 2 })), (target, replacement) => {
      assert.deepEqual(applyMergePatch(target, {}), target);
      assert.deepEqual(applyMergePatch(target, replacement), replacement);
    }));
  });
});

const condition = fc.record({ type: fc.constantFrom('Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'), status: fc.constantFrom('True', 'False', 'Unknown') }, { noNullPrototype: true });
const uniqueConditions = fc.uniqueArray(condition, { selector: (c) => c.type, maxLength: 4 });

describe('strategic merge patch', () => {
  const node = smpSchemas.Node ?? {};

  it('merges node conditions by type: patched types are updated in place, others keep their position', () => {
    fc.assert(fc.property(uniqueConditions, uniqueConditions, (live, patch) => {
      const out = applyStrategicMergePatch({ status: { conditions: live } }, { status: { conditions: patch } }, node);
      const got = (out.status as { conditions: Array<{ type: string; status: string }> }).conditions;
      const types = got.map((c) => c.type);
      assert.equal(new Set(types).size, types.length, 'each type once');
      for (const p of patch) assert.equal(got.find((c) => c.type === p.type)?.status, p.status);
      const untouched = live.filter((c) => !patch.some((p) => p.type === c.type));
      assert.deepEqual(got.filter((c) => untouched.some((u) => u.type === c.type)), untouched);
      assert.deepEqual(types.slice(0, live.length), live.map((c) => c.type), 'existing entries keep their order; new ones are appended');
    }));
  });

  it('$patch: delete removes the keyed element; the taints list (atomic) is replaced whole', () => {
    fc.assert(fc.property(uniqueConditions.filter((c) => c.length > 0), fc.array(fc.record({ key: fc.constantFrom('a', 'b'), effect: fc.constant('NoSchedule') }, { noNullPrototype: true }), { maxLength: 3 }), (live, taints) => {
      const victim = (live[0] as { type: string }).type;
      const out = applyStrategicMergePatch(
        { spec: { taints: [{ key: 'old', effect: 'NoExecute' }] }, status: { conditions: live } },
        { spec: { taints }, status: { conditions: [{ type: victim, $patch: 'delete' }] } }, node);
      assert.ok(!(out.status as { conditions: Array<{ type: string }> }).conditions.some((c) => c.type === victim));
      assert.deepEqual((out.spec as { taints: unknown }).taints, taints);
    }));
  });

  it('primitive merge lists (finalizers) are unions; $deleteFromPrimitiveList removes values', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd')), fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd')), (live, add) => {
      const out = applyStrategicMergePatch({ metadata: { finalizers: live } }, { metadata: { finalizers: add } }, node);
      const got = (out.metadata as { finalizers: string[] }).finalizers;
      assert.deepEqual(new Set(got), new Set([...live, ...add]));
      const removed = applyStrategicMergePatch(out, { metadata: { '$deleteFromPrimitiveList/finalizers': add } }, node);
      assert.deepEqual((removed.metadata as { finalizers: string[] }).finalizers, live.filter((x) => !add.includes(x)));
    }));
  });

  it('without list metadata it behaves like a JSON merge patch (lists are replaced)', () => {
    // Go's strategic merge drops nulls inside lists it inserts; RFC 7386 keeps them, so such patches are excluded.
    const nullInList = (v: Json, inList = false): boolean => (v === null ? inList
      : Array.isArray(v) ? v.some((x) => nullInList(x, true))
        : typeof v === 'object' ? Object.values(v).some((x) => nullInList(x, inList)) : false);
    fc.assert(fc.property(object, object, (target, patch) => {
      fc.pre(!nullInList(patch));
      const withoutDirectives = JSON.parse(JSON.stringify(patch).replace(/"\$/g, '"_')) as JsonObject;
      assert.deepEqual(applyStrategicMergePatch(target, withoutDirectives, {}), applyMergePatch(target, withoutDirectives));
    }));
  });

  it('a list element without its merge key is a 400-class PatchError', () => {
    assert.throws(() => applyStrategicMergePatch({ status: { conditions: [] } }, { status: { conditions: [{ status: 'True' }] } }, node),
      (e: unknown) => e instanceof PatchError && e.status === 400 && /does not contain declared merge key: type/.test(e.message));
  });
});
