// Just enough Kubernetes protobuf to read what kubectl's typed clients send that way: the "k8s\0" envelope
// (runtime.Unknown) and the kinds `kubectl create <kind>` and `kubectl auth can-i` post (namespaces, config maps,
// secrets, service accounts, RBAC objects, SelfSubjectAccessReview). Field numbers follow the generated.proto files
// of k8s.io/api. Answers always go out as JSON, which those clients accept.
import { errors } from './errors.ts';

export const protobufType = 'application/vnd.kubernetes.protobuf';
const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type FieldType = 'string' | 'bytes' | 'int' | 'bool' | Message;
interface Field { name: string; type: FieldType; repeated?: boolean; map?: FieldType }
type Message = Record<number, Field>;

interface Raw { wire: number; value: number | Buffer }

function readFields(buf: Buffer): Array<[number, Raw]> {
  const out: Array<[number, Raw]> = [];
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (i >= buf.length) throw errors.badRequest('protobuf: truncated varint');
      const b = buf[i++] as number;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw errors.badRequest('protobuf: varint overflow');
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    if (wire === 0) out.push([field, { wire, value: varint() }]);
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (i + len > buf.length) throw errors.badRequest('protobuf: truncated field');
      out.push([field, { wire, value: buf.subarray(i, i + len) }]);
      i += len;
    } else throw errors.badRequest(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

function scalar(type: FieldType, raw: Raw): unknown {
  if (type === 'int') return Number(raw.value);
  if (type === 'bool') return raw.value !== 0;
  if (!Buffer.isBuffer(raw.value)) throw errors.badRequest('protobuf: expected a length-delimited field');
  if (type === 'string') return raw.value.toString('utf8');
  if (type === 'bytes') return raw.value.toString('base64');
  return decodeMessage(raw.value, type);
}

function decodeMessage(buf: Buffer, message: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [no, raw] of readFields(buf)) {
    const f = message[no];
    if (!f) continue;
    if (f.map) {
      const entry = decodeMessage(raw.value as Buffer, { 1: { name: 'k', type: 'string' }, 2: { name: 'v', type: f.map } });
      out[f.name] = { ...(out[f.name] as object | undefined), [String(entry.k ?? '')]: entry.v ?? (f.map === 'string' ? '' : undefined) };
    } else if (f.repeated) out[f.name] = [...((out[f.name] as unknown[] | undefined) ?? []), scalar(f.type, raw)];
    else out[f.name] = scalar(f.type, raw);
  }
  // Go's generated marshallers write empty optional strings; the JSON form omits them.
  for (const [k, v] of Object.entries(out)) if (v === '') delete out[k];
  return out;
}

const s = (name: string): Field => ({ name, type: 'string' });
const list = (name: string, type: FieldType = 'string'): Field => ({ name, type, repeated: true });

const ownerReference: Message = { 1: s('kind'), 3: s('name'), 4: s('uid'), 5: s('apiVersion'), 6: { name: 'controller', type: 'bool' }, 7: { name: 'blockOwnerDeletion', type: 'bool' } };
const objectMeta: Message = {
  1: s('name'), 2: s('generateName'), 3: s('namespace'), 6: s('resourceVersion'),
  11: { name: 'labels', type: 'string', map: 'string' }, 12: { name: 'annotations', type: 'string', map: 'string' },
  13: list('ownerReferences', ownerReference), 14: list('finalizers'),
};
const meta = { 1: { name: 'metadata', type: objectMeta } } as const;
const policyRule: Message = { 1: list('verbs'), 2: list('apiGroups'), 3: list('resources'), 4: list('resourceNames'), 5: list('nonResourceURLs') };
const requirement: Message = { 1: s('key'), 2: s('operator'), 3: list('values') };
const labelSelector: Message = { 1: { name: 'matchLabels', type: 'string', map: 'string' }, 2: list('matchExpressions', requirement) };
const subject: Message = { 1: s('kind'), 2: s('apiGroup'), 3: s('name'), 4: s('namespace') };
const roleRef: Message = { 1: s('apiGroup'), 2: s('kind'), 3: s('name') };
const binding: Message = { ...meta, 2: list('subjects', subject), 3: { name: 'roleRef', type: roleRef } };
const localObjectReference: Message = { 1: s('name') };
const objectReference: Message = { 1: s('kind'), 2: s('namespace'), 3: s('name'), 4: s('uid'), 5: s('apiVersion') };

const messages: Record<string, Message> = {
  Namespace: { ...meta, 2: { name: 'spec', type: { 1: list('finalizers') } } },
  ConfigMap: { ...meta, 2: { name: 'data', type: 'string', map: 'string' }, 3: { name: 'binaryData', type: 'string', map: 'bytes' }, 4: { name: 'immutable', type: 'bool' } },
  Secret: { ...meta, 2: { name: 'data', type: 'string', map: 'bytes' }, 3: s('type'), 4: { name: 'stringData', type: 'string', map: 'string' }, 5: { name: 'immutable', type: 'bool' } },
  ServiceAccount: { ...meta, 2: list('secrets', objectReference), 3: list('imagePullSecrets', localObjectReference), 4: { name: 'automountServiceAccountToken', type: 'bool' } },
  ClusterRole: { ...meta, 2: list('rules', policyRule), 3: { name: 'aggregationRule', type: { 1: list('clusterRoleSelectors', labelSelector) } } },
  Role: { ...meta, 2: list('rules', policyRule) },
  ClusterRoleBinding: binding,
  RoleBinding: binding,
  SelfSubjectAccessReview: {
    ...meta,
    2: {
      name: 'spec',
      type: {
        1: { name: 'resourceAttributes', type: { 1: s('namespace'), 2: s('verb'), 3: s('group'), 4: s('version'), 5: s('resource'), 6: s('subresource'), 7: s('name') } },
        2: { name: 'nonResourceAttributes', type: { 1: s('path'), 2: s('verb') } },
      },
    },
  },
};

/** Decodes a protobuf request body into the JSON form of its object; 415 for kinds this server cannot read. */
export function decodeProtobuf(body: Buffer, accepted: readonly string[]): Record<string, unknown> {
  if (!body.subarray(0, 4).equals(magic)) throw errors.badRequest('protobuf: missing the k8s envelope prefix');
  const unknown = decodeMessage(body.subarray(4), {
    1: { name: 'typeMeta', type: { 1: s('apiVersion'), 2: s('kind') } }, 2: { name: 'raw', type: 'bytes' },
  }) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: string };
  const kind = unknown.typeMeta?.kind ?? '';
  const message = messages[kind];
  if (!message) throw errors.unsupportedMediaType(accepted);
  const object = decodeMessage(Buffer.from(unknown.raw ?? '', 'base64'), message);
  return { apiVersion: unknown.typeMeta?.apiVersion, kind, ...object };
}
