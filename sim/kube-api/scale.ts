// The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets, StatefulSets and custom resources
// that declare one (MachineDeployments): `kubectl scale` reads and writes spec.replicas through it.
import { errors } from './errors.ts';
import { applyJsonPatch } from './patch/json-patch.ts';
import { applyMergePatch } from './patch/merge-patch.ts';
import { clone, isObject, PatchError, type Json } from './patch/json-value.ts';
import type { ResourceDef } from './resources.ts';
import { decodeBody, patchTypes, type Rest, type WriteOptions } from './rest.ts';
import { selectorToString, type LabelSelectorObject } from './selectors.ts';
import type { KubeObject } from './types.ts';

interface Scalable { spec?: { replicas?: number; selector?: LabelSelectorObject }; status?: { replicas?: number } }

function toScale(obj: KubeObject): Record<string, unknown> {
  const o = obj as KubeObject & Scalable;
  const m = obj.metadata;
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, ...(o.spec?.selector ? { selector: selectorToString(o.spec.selector) } : {}) },
  };
}

function replicasOf(scale: unknown): { replicas: number; resourceVersion: string | undefined } {
  const spec = isObject(scale) && isObject(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid('Scale', 'autoscaling', '', [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas' }]);
  }
  const meta = isObject(scale) && isObject(scale.metadata) ? scale.metadata : {};
  return { replicas, resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : undefined };
}

export function serveScale(rest: Rest, def: ResourceDef, verb: string, namespace: string | undefined, name: string,
  contentType: string, body: string, opts: WriteOptions): Record<string, unknown> {
  const current = rest.get(def, namespace, name);
  if (verb === 'get') return toScale(current);
  let requested: unknown;
  if (verb === 'update') requested = decodeBody(body, contentType);
  else {
    const type = contentType.split(';')[0]?.trim();
    const patch = decodeBody(body, contentType) as Json;
    try {
      if (type === patchTypes.json) requested = applyJsonPatch(toScale(current) as Json, patch);
      else if (type === patchTypes.merge || type === patchTypes.strategic) requested = applyMergePatch(toScale(current) as Json, patch);
      else throw errors.unsupportedMediaType([patchTypes.json, patchTypes.merge, patchTypes.strategic]);
    } catch (e) {
      if (e instanceof PatchError) throw errors.badRequest(e.message);
      throw e;
    }
  }
  const { replicas, resourceVersion } = replicasOf(requested);
  const next = clone(current) as KubeObject & Scalable;
  next.spec = { ...next.spec, replicas };
  if (resourceVersion) next.metadata.resourceVersion = resourceVersion;
  return toScale(rest.update(def, namespace, name, next, undefined, opts));
}
