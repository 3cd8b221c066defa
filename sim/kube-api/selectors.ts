// Label selectors (query-string and LabelSelector forms) and field selectors.
import { errors } from './errors.ts';

type Op = 'in' | 'notin' | 'exists' | '!';
export interface Requirement { key: string; op: Op; values: string[] }
export type Labels = Record<string, string> | undefined;

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { parts.push(cur); cur = ''; } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, selector: string): string {
  if (!labelKey.test(key) || key.length > 317) {
    throw errors.badRequest(`unable to parse requirement: <nil>: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') in selector ${JSON.stringify(selector)}`);
  }
  return key;
}

function checkValue(v: string, key: string): string {
  if (!labelValue.test(v) || v.length > 63) {
    throw errors.badRequest(`unable to parse requirement: values[0][${key}]: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  return v;
}

export function parseLabelSelector(s: string | null | undefined): Requirement[] {
  if (!s) return [];
  return splitTopLevel(s).map((part) => {
    let m = /^!\s*(\S+)$/.exec(part);
    if (m) return { key: checkKey(m[1] as string, s), op: '!', values: [] };
    m = /^(\S+?)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const key = checkKey(m[1] as string, s);
      const values = (m[3] as string).split(',').map((v) => checkValue(v.trim(), key));
      return { key, op: m[2] as Op, values };
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      const key = checkKey(m[1] as string, s);
      const value = checkValue(m[3] as string, key);
      return { key, op: m[2] === '!=' ? 'notin' : 'in', values: [value] };
    }
    if (/^\S+$/.test(part)) return { key: checkKey(part, s), op: 'exists', values: [] };
    throw errors.badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
  });
}

export function matchesRequirements(reqs: readonly Requirement[], labels: Labels): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'exists': return has;
      case '!': return !has;
      case 'in': return has && r.values.includes(l[r.key] as string);
      case 'notin': return !has || !r.values.includes(l[r.key] as string);
    }
  });
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** LabelSelector semantics: an empty selector matches everything; a missing (null) selector is handled by callers. */
export function matchesLabelSelector(sel: LabelSelectorObject, labels: Labels): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const values = e.values ?? [];
    const ok = e.operator === 'In' ? has && values.includes(l[e.key] as string)
      : e.operator === 'NotIn' ? !has || !values.includes(l[e.key] as string)
        : e.operator === 'Exists' ? has
          : e.operator === 'DoesNotExist' ? !has : false;
    if (!ok) return false;
  }
  return true;
}

export function selectorToString(sel: LabelSelectorObject): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.sort().join(',');
}

// ---- field selectors ----

export interface FieldRequirement { field: string; value: string; negate: boolean }

const commonFields = ['metadata.name', 'metadata.namespace'];
const fieldsByKind: Record<string, readonly string[]> = {
  Pod: [...commonFields, 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName',
    'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Node: [...commonFields, 'spec.unschedulable'],
  Event: [...commonFields, 'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name',
    'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
    'reason', 'reportingComponent', 'source', 'type', 'regarding.kind', 'regarding.name', 'regarding.namespace'],
  Namespace: [...commonFields, 'status.phase'],
  Secret: [...commonFields, 'type'],
  ReplicaSet: [...commonFields, 'status.replicas'],
};

export function parseFieldSelector(s: string | null | undefined, kind: string): FieldRequirement[] {
  if (!s) return [];
  const allowed = fieldsByKind[kind] ?? commonFields;
  return splitTopLevel(s).map((part) => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) throw errors.badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    const field = (m[1] as string).trim();
    if (!allowed.includes(field)) throw errors.badRequest(`field label not supported: ${field}`);
    return { field, value: (m[3] as string).trim(), negate: m[2] === '!=' };
  });
}

function fieldValue(obj: Record<string, unknown>, path: string): string {
  if (path === 'source') return String((obj.source as { component?: string } | undefined)?.component ?? '');
  let cur: unknown = obj;
  for (const p of path.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[p];
  if (cur === undefined || cur === null) return path === 'spec.unschedulable' || path === 'spec.hostNetwork' ? 'false' : '';
  return String(cur);
}

export function matchesFields(reqs: readonly FieldRequirement[], obj: Record<string, unknown>): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.negate);
}
