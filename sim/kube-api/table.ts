// Server-side printing (meta.k8s.io/v1 Table), which `kubectl get` requests. Columns follow the real printers.
import { shortHumanDuration } from './meta.ts';
import type { ResourceDef } from './resources.ts';
import type { KubeObject, Node, Pdb, Pod, Workload } from './types.ts';

interface Column { name: string; type: string; format?: string; description: string; priority?: number }
type Cell = string | number;
interface Printer { columns: Column[]; cells(o: KubeObject): Cell[] }

const nameColumn: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' };
const ageColumn: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };
const col = (name: string, description: string, priority = 0, type = 'string'): Column => ({ name, type, description, ...(priority ? { priority } : {}) });

export function age(o: KubeObject, now = Date.now()): string {
  const t = Date.parse(o.metadata.creationTimestamp);
  return Number.isNaN(t) ? '<unknown>' : shortHumanDuration(now - t);
}

const none = (v: string | undefined): string => (v === undefined || v === '' ? '<none>' : v);

function nodeStatus(n: Node): string {
  const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const parts = [ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown'];
  if (n.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(n: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function address(n: Node, type: string): string {
  return none((n.status?.addresses ?? []).find((a) => a.type === type)?.address);
}

function podStatusReason(p: Pod): string {
  let reason = p.status?.reason || p.status?.phase || 'Unknown';
  for (const c of p.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting as { reason?: string } | undefined;
    const terminated = c.state?.terminated as { reason?: string; exitCode?: number } | undefined;
    if (waiting?.reason) reason = waiting.reason;
    else if (terminated?.reason) reason = terminated.reason;
  }
  if (p.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

const printers: Record<string, Printer> = {
  Node: {
    columns: [nameColumn, col('Status', 'The status of the node'), col('Roles', 'The roles of the node'), ageColumn,
      col('Version', 'Kubelet Version reported by the node.'), col('Internal-IP', 'List of internal IPs in the node', 1),
      col('External-IP', 'List of external IPs in the node', 1), col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', 'Kernel Version reported by the node from \'uname -r\' (e.g. 3.16.0-0.bpo.4-amd64).', 1),
      col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1)],
    cells: (o) => {
      const n = o as Node;
      const info = n.status?.nodeInfo ?? {};
      return [n.metadata.name, nodeStatus(n), nodeRoles(n), age(n), info.kubeletVersion ?? '', address(n, 'InternalIP'),
        address(n, 'ExternalIP'), none(info.osImage), none(info.kernelVersion), none(info.containerRuntimeVersion)];
    },
  },
  Pod: {
    columns: [nameColumn, col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'), col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      ageColumn, col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'NodeName is a request to schedule this pod onto a specific node.', 1),
      col('Nominated Node', 'nominatedNodeName is set when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
      col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1)],
    cells: (o) => {
      const p = o as Pod;
      const statuses = p.status?.containerStatuses ?? [];
      const total = p.spec.containers?.length ?? 0;
      const ready = statuses.filter((c) => c.ready).length;
      const restarts = statuses.reduce((s, c) => s + (c.restartCount ?? 0), 0);
      return [p.metadata.name, `${ready}/${total}`, podStatusReason(p), String(restarts), age(p), none(p.status?.podIP),
        none(p.spec.nodeName), none(p.status?.nominatedNodeName as string | undefined), '<none>'];
    },
  },
  Namespace: {
    columns: [nameColumn, col('Status', 'The status of the namespace'), ageColumn],
    cells: (o) => [o.metadata.name, String((o.status as { phase?: string } | undefined)?.phase ?? ''), age(o)],
  },
  Deployment: {
    columns: [nameColumn, col('Ready', 'Number of the pod with ready state'), col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'), ageColumn],
    cells: (o) => {
      const d = o as Workload;
      const s = (d.status ?? {}) as Record<string, number | undefined>;
      return [d.metadata.name, `${s.readyReplicas ?? 0}/${d.spec.replicas ?? 0}`, s.updatedReplicas ?? 0, s.availableReplicas ?? 0, age(d)];
    },
  },
  DaemonSet: {
    columns: [nameColumn, col('Desired', 'The desired number of pods.', 0, 'integer'), col('Current', 'The current number of pods.', 0, 'integer'),
      col('Ready', 'The number of pods ready.', 0, 'integer'), col('Up-to-date', 'The number of pods updated.', 0, 'integer'),
      col('Available', 'The number of pods ready and available.', 0, 'integer'), col('Node Selector', 'The node selector.'), ageColumn],
    cells: (o) => {
      const d = o as Workload;
      const s = (d.status ?? {}) as Record<string, number | undefined>;
      const sel = Object.entries(d.spec.template.spec.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
      return [d.metadata.name, s.desiredNumberScheduled ?? 0, s.currentNumberScheduled ?? 0, s.numberReady ?? 0,
        s.updatedNumberScheduled ?? 0, s.numberAvailable ?? 0, none(sel), age(d)];
    },
  },
  ReplicaSet: {
    columns: [nameColumn, col('Desired', 'Number of desired pods.', 0, 'integer'), col('Current', 'Number of actual replicas.', 0, 'integer'),
      col('Ready', 'Number of ready replicas.', 0, 'integer'), ageColumn],
    cells: (o) => {
      const r = o as Workload;
      const s = (r.status ?? {}) as Record<string, number | undefined>;
      return [r.metadata.name, r.spec.replicas ?? 0, s.replicas ?? 0, s.readyReplicas ?? 0, age(r)];
    },
  },
  StatefulSet: {
    columns: [nameColumn, col('Ready', 'Number of the pod with ready state'), ageColumn],
    cells: (o) => {
      const r = o as Workload;
      return [r.metadata.name, `${Number((r.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0)}/${r.spec.replicas ?? 0}`, age(r)];
    },
  },
  Lease: {
    columns: [nameColumn, col('Holder', 'The holder of the lease'), ageColumn],
    cells: (o) => [o.metadata.name, String((o.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? ''), age(o)],
  },
  ServiceAccount: {
    columns: [nameColumn, col('Secrets', 'Secrets is the list of secrets allowed to be used by pods running using this ServiceAccount', 0, 'integer'), ageColumn],
    cells: (o) => [o.metadata.name, ((o.secrets as unknown[] | undefined) ?? []).length, age(o)],
  },
  ConfigMap: {
    columns: [nameColumn, col('Data', 'Data contains the configuration data', 0, 'integer'), ageColumn],
    cells: (o) => [o.metadata.name, Object.keys((o.data as object | undefined) ?? {}).length + Object.keys((o.binaryData as object | undefined) ?? {}).length, age(o)],
  },
  Secret: {
    columns: [nameColumn, col('Type', 'The type of the secret'), col('Data', 'Data contains the secret data', 0, 'integer'), ageColumn],
    cells: (o) => [o.metadata.name, String(o.type ?? 'Opaque'), Object.keys((o.data as object | undefined) ?? {}).length, age(o)],
  },
  Event: {
    columns: [col('Last Seen', 'The last time the event was seen'), col('Type', 'The type of the event'), col('Reason', 'The reason of the event'),
      col('Object', 'The object the event is about'), col('Subobject', 'The subobject the event is about', 1), col('Source', 'The source of the event', 1),
      col('Message', 'A human-readable description of the event'), col('First Seen', 'The first time the event was seen', 1),
      col('Count', 'The number of times the event has occurred', 1, 'integer'), { ...nameColumn, priority: 1 }],
    cells: (o) => {
      const e = o as KubeObject & Record<string, unknown>;
      const target = (e.involvedObject ?? e.regarding ?? {}) as { kind?: string; name?: string; fieldPath?: string };
      const source = (e.source ?? {}) as { component?: string; host?: string };
      const last = String(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp);
      const first = String(e.firstTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp);
      const since = (t: string) => (Number.isNaN(Date.parse(t)) ? '<unknown>' : shortHumanDuration(Date.now() - Date.parse(t)));
      return [since(last), String(e.type ?? ''), String(e.reason ?? ''), `${(target.kind ?? '').toLowerCase()}/${target.name ?? ''}`,
        target.fieldPath ?? '', [source.component ?? e.reportingController ?? '', source.host].filter(Boolean).join(', '),
        String(e.message ?? e.note ?? ''), since(first), Number(e.count ?? 1), e.metadata.name];
    },
  },
  PodDisruptionBudget: {
    columns: [nameColumn, col('Min Available', 'The minimum number of pods that must be available.'), col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
      col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', 0, 'integer'), ageColumn],
    cells: (o) => {
      const p = o as Pdb;
      return [p.metadata.name, p.spec.minAvailable === undefined ? 'N/A' : String(p.spec.minAvailable),
        p.spec.maxUnavailable === undefined ? 'N/A' : String(p.spec.maxUnavailable), p.status?.disruptionsAllowed ?? 0, age(p)];
    },
  },
};

function jsonPathValue(o: KubeObject, path: string): unknown {
  let cur: unknown = o;
  for (const part of path.replace(/^\./, '').split('.')) {
    cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[part] : undefined;
  }
  return cur;
}

/** A custom resource's table: its CRD's additionalPrinterColumns, or Name and Age. */
function customPrinter(def: ResourceDef): Printer {
  const extra = def.printerColumns ?? [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  return {
    columns: [nameColumn, ...extra.map((c) => ({ name: c.name, type: c.type, description: c.description ?? '', ...(c.priority ? { priority: c.priority } : {}) }))],
    cells: (o) => [o.metadata.name, ...extra.map((c) => {
      const v = jsonPathValue(o, c.jsonPath);
      if (c.type === 'date') return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? shortHumanDuration(Date.now() - Date.parse(v)) : '<unknown>';
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : v as string | number;
    })],
  };
}
const builtinDefaultPrinter: Printer = {
  columns: [nameColumn, { name: 'Created At', type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' }],
  cells: (o) => [o.metadata.name, o.metadata.creationTimestamp],
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function toTable(def: ResourceDef, objects: readonly KubeObject[], listMeta: Record<string, unknown>, include: IncludeObject,
  present: (o: KubeObject) => KubeObject): Record<string, unknown> {
  const printer = def.builtin ? printers[def.kind] ?? builtinDefaultPrinter : customPrinter(def);
  const rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: printer.cells(o) };
    if (include === 'Object') row.object = present(o);
    else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
    return row;
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions: printer.columns.map((c) => ({ format: '', priority: 0, ...c })), rows };
}

export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '') && /g=meta\.k8s\.io/.test(accept ?? '');
}
