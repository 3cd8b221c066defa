// Per-kind rules the generic REST layer applies: defaulting, create-time status reset, validation, decoding.
import type { StatusCause } from './errors.ts';
import { labelProblem, pathSegmentProblem, subdomainProblem } from './meta.ts';
import { matchesLabelSelector } from './selectors.ts';
import type { KubeObject, LabelSelector, PodSpec, PodTemplate, Toleration } from './types.ts';

export interface Strategy {
  nameProblem?(name: string): string | undefined;
  /** defaulting, applied on create and update */
  defaults?(obj: KubeObject): void;
  /** status the object starts with on create (undefined: keep what the client sent) */
  initialStatus?(obj: KubeObject): unknown;
  validate?(obj: KubeObject): StatusCause[];
  /** rules about what an update may change (immutable fields) */
  validateUpdate?(next: KubeObject, previous: KubeObject): StatusCause[];
  /** problems that make the body undecodable for the Go types (answered 400 like a decode error) */
  decodeProblem?(obj: KubeObject): string | undefined;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Rec : {});

function setDefault(o: Rec, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

const defaultTolerations: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

function defaultPodSpec(spec: PodSpec, withTolerations: boolean): void {
  const s = spec as Rec;
  setDefault(s, 'restartPolicy', 'Always');
  setDefault(s, 'terminationGracePeriodSeconds', 30);
  setDefault(s, 'dnsPolicy', 'ClusterFirst');
  setDefault(s, 'securityContext', {});
  setDefault(s, 'schedulerName', 'default-scheduler');
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const cr = c as Rec;
    const image = typeof cr.image === 'string' ? cr.image : '';
    setDefault(cr, 'imagePullPolicy', /:latest$|^[^:]*$/.test(image.replace(/^[^/]*\//, '')) ? 'Always' : 'IfNotPresent');
    setDefault(cr, 'terminationMessagePath', '/dev/termination-log');
    setDefault(cr, 'terminationMessagePolicy', 'File');
    setDefault(cr, 'resources', {});
  }
  if (withTolerations) {
    const tolerations = spec.tolerations ?? [];
    for (const t of defaultTolerations) {
      const covered = tolerations.some((x) => (x.key === t.key || (x.key === undefined && x.operator === 'Exists'))
        && (x.effect === undefined || x.effect === '' || x.effect === 'NoExecute'));
      if (!covered) tolerations.push({ ...t });
    }
    spec.tolerations = tolerations;
  }
}

function podTemplateDefaults(obj: KubeObject): void {
  const spec = rec(obj.spec);
  const template = rec(spec.template) as unknown as PodTemplate;
  if (template.spec) defaultPodSpec(template.spec, false);
}

function containersRequired(spec: PodSpec | undefined, field: string): StatusCause[] {
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    return [{ reason: 'FieldValueRequired', message: 'Required value', field: `${field}.containers` }];
  }
  return spec.containers.flatMap((c, i) => (typeof c.name === 'string' && c.name !== ''
    ? [] : [{ reason: 'FieldValueRequired', message: 'Required value', field: `${field}.containers[${i}].name` }]));
}

function selectorMatchesTemplate(obj: KubeObject): StatusCause[] {
  const spec = rec(obj.spec);
  const selector = spec.selector as LabelSelector | undefined;
  if (!selector) return [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' }];
  const template = rec(spec.template) as unknown as PodTemplate;
  const labels = template.metadata?.labels;
  const causes = containersRequired(template.spec, 'spec.template.spec');
  if (!matchesLabelSelector(selector, labels)) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(labels ?? {})}: \`selector\` does not match template \`labels\``, field: 'spec.template.metadata.labels' });
  }
  return causes;
}

const microTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

/** The Go error text for a MicroTime that lacks exactly six fractional digits. */
export function microTimeProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return `json: cannot unmarshal ${typeof value} into Go value of type string`;
  if (microTime.test(value)) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(.*)$/.exec(value);
  const rest = m ? m[2] as string : value;
  const frac = /^\.\d{6}/.exec(rest);
  const part = frac ? rest.slice(7) : rest;
  const layout = frac ? 'Z07:00' : '.000000';
  return `parsing time "${value}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${part}" as "${layout}"`;
}

const workloadStrategy = (extra: (o: Rec) => void): Strategy => ({
  defaults: (o) => { extra(rec(o.spec)); podTemplateDefaults(o); },
  initialStatus: () => ({}),
  validate: selectorMatchesTemplate,
});

export const strategies: Record<string, Strategy> = {
  Namespace: {
    nameProblem: labelProblem,
    defaults: (o) => {
      o.spec = { finalizers: ['kubernetes'], ...rec(o.spec) };
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name };
    },
    initialStatus: () => ({ phase: 'Active' }),
  },
  Pod: {
    defaults: (o) => {
      const spec = rec(o.spec) as PodSpec;
      defaultPodSpec(spec, true);
      const s = spec as Rec;
      setDefault(s, 'serviceAccountName', 'default');
      setDefault(s, 'serviceAccount', s.serviceAccountName);
      setDefault(s, 'enableServiceLinks', true);
      setDefault(s, 'preemptionPolicy', 'PreemptLowerPriority');
      setDefault(s, 'priority', 0);
      o.spec = spec;
    },
    initialStatus: () => ({ phase: 'Pending', qosClass: 'BestEffort' }),
    validate: (o) => containersRequired(o.spec as PodSpec | undefined, 'spec'),
    validateUpdate: (next, previous) => {
      // Only images, activeDeadlineSeconds, added tolerations and terminationGracePeriodSeconds may change.
      const mutable = (spec: unknown) => {
        const s = { ...rec(spec) } as PodSpec & Rec;
        const images = (list: unknown) => (Array.isArray(list) ? list.map((c) => ({ ...rec(c), image: undefined })) : list);
        return { ...s, containers: images(s.containers), initContainers: images(s.initContainers), activeDeadlineSeconds: undefined, tolerations: undefined, terminationGracePeriodSeconds: undefined };
      };
      const before = (rec(previous.spec).tolerations ?? []) as unknown[];
      const after = (rec(next.spec).tolerations ?? []) as unknown[];
      const tolerationsKept = before.every((t, i) => JSON.stringify(t) === JSON.stringify(after[i]));
      if (JSON.stringify(mutable(next.spec)) === JSON.stringify(mutable(previous.spec)) && tolerationsKept) return [];
      return [{
        reason: 'FieldValueForbidden', field: 'spec',
        message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      }];
    },
  },
  Secret: {
    defaults: (o) => {
      if (o.type === undefined) o.type = 'Opaque';
    },
  },
  Deployment: workloadStrategy((s) => {
    setDefault(s, 'replicas', 1);
    setDefault(s, 'strategy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    setDefault(s, 'revisionHistoryLimit', 10);
    setDefault(s, 'progressDeadlineSeconds', 600);
  }),
  ReplicaSet: workloadStrategy((s) => setDefault(s, 'replicas', 1)),
  DaemonSet: workloadStrategy((s) => {
    setDefault(s, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    setDefault(s, 'revisionHistoryLimit', 10);
  }),
  StatefulSet: workloadStrategy((s) => {
    setDefault(s, 'replicas', 1);
    setDefault(s, 'podManagementPolicy', 'OrderedReady');
    setDefault(s, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    setDefault(s, 'revisionHistoryLimit', 10);
    setDefault(s, 'persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' });
  }),
  PodDisruptionBudget: {
    initialStatus: () => ({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
    validate: (o) => {
      const spec = rec(o.spec);
      return spec.minAvailable !== undefined && spec.maxUnavailable !== undefined
        ? [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(spec)}: minAvailable and maxUnavailable cannot be both set`, field: 'spec' }]
        : [];
    },
  },
  Lease: {
    decodeProblem: (o) => {
      const spec = rec(o.spec);
      return microTimeProblem(spec.acquireTime) ?? microTimeProblem(spec.renewTime);
    },
  },
  Event: {
    decodeProblem: (o) => (o.apiVersion === 'events.k8s.io/v1' ? microTimeProblem(o.eventTime) : undefined),
  },
  Service: {
    defaults: (o) => {
      const s = rec(o.spec);
      setDefault(s, 'type', 'ClusterIP');
      setDefault(s, 'sessionAffinity', 'None');
      o.spec = s;
    },
    initialStatus: () => ({ loadBalancer: {} }),
  },
  CustomResourceDefinition: {
    validate: (o) => {
      const group = String(rec(o.spec).group ?? '');
      const protectedGroup = /(^|\.)(k8s\.io|kubernetes\.io)$/.test(group);
      return protectedGroup && o.metadata.annotations?.['api-approved.kubernetes.io'] === undefined
        ? [{ reason: 'FieldValueRequired', message: 'Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111', field: 'metadata.annotations[api-approved.kubernetes.io]' }]
        : [];
    },
  },
  ClusterRole: { nameProblem: pathSegmentProblem },
  ClusterRoleBinding: { nameProblem: pathSegmentProblem },
  Role: { nameProblem: pathSegmentProblem },
  RoleBinding: { nameProblem: pathSegmentProblem },
};

export const defaultStrategy: Strategy = {};

export function nameProblem(kind: string, name: string): string | undefined {
  return (strategies[kind]?.nameProblem ?? subdomainProblem)(name);
}
