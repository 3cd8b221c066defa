// A realistic workload for the simulated nodes, created once through the API (idempotent: existing objects are
// left as they are). It exercises every drain filter: DaemonSet pods, ReplicaSet pods behind PDBs, a StatefulSet,
// a pod with emptyDir data, an unmanaged pod, and kube-system pods.
import { KubeApiError, type KubeRestClient } from './rest-client.ts';

export const WORKLOAD_NAMESPACES = ['shop', 'monitoring'] as const;

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

// The standard tolerations every DaemonSet pod of a node agent carries; not the kwok bulk-node taint.
const NODE_AGENT_TOLERATIONS = [
  { key: 'CriticalAddonsOnly', operator: 'Exists' },
  { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
];

function container(name: string, image: string, cpu: string, memory: string, extra: object = {}) {
  return { name, image, resources: { requests: { cpu, memory } }, ...extra };
}

function podTemplate(app: string, spec: object) {
  return { metadata: { labels: { app } }, spec: { terminationGracePeriodSeconds: 30, ...spec } };
}

function daemonSet(namespace: string, name: string, image: string, hostNetwork: boolean): KubeManifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, {
        hostNetwork,
        priorityClassName: namespace === 'kube-system' ? 'system-node-critical' : undefined,
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: NODE_AGENT_TOLERATIONS,
        containers: [container(name, image, '10m', '32Mi')],
      }),
    },
  };
}

function deployment(namespace: string, name: string, replicas: number, image: string, spec: object = {}): KubeManifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: podTemplate(name, { containers: [container(name, image, '50m', '64Mi')], ...spec }),
    },
  };
}

function pdb(namespace: string, name: string, budget: { minAvailable: number } | { maxUnavailable: number }): KubeManifest {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace },
    spec: { ...budget, selector: { matchLabels: { app: name } } },
  };
}

export function workloadManifests(): KubeManifest[] {
  const namespaces: KubeManifest[] = WORKLOAD_NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  return [
    ...namespaces,
    daemonSet('kube-system', 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.36.3', true),
    deployment('kube-system', 'coredns', 2, 'registry.k8s.io/coredns/coredns:v1.12.1', { priorityClassName: 'system-cluster-critical' }),
    pdb('kube-system', 'coredns', { maxUnavailable: 1 }),
    daemonSet('monitoring', 'node-exporter', 'quay.io/prometheus/node-exporter:v1.9.1', true),
    deployment('shop', 'web', 3, 'docker.io/library/nginx:1.27.5'),
    pdb('shop', 'web', { maxUnavailable: 1 }),
    deployment('shop', 'api', 2, 'ghcr.io/example/shop-api:2.4.0'),
    pdb('shop', 'api', { minAvailable: 1 }),
    deployment('shop', 'cache', 1, 'docker.io/library/redis:7.4', {
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [container('cache', 'docker.io/library/redis:7.4', '50m', '64Mi', { volumeMounts: [{ name: 'scratch', mountPath: '/data' }] })],
    }),
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop', labels: { app: 'db' } },
      spec: {
        serviceName: 'db',
        replicas: 2,
        selector: { matchLabels: { app: 'db' } },
        template: podTemplate('db', { containers: [container('db', 'docker.io/library/postgres:17.5', '100m', '128Mi')] }),
      },
    },
    pdb('shop', 'db', { maxUnavailable: 1 }),
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'debug-shell', namespace: 'shop', labels: { app: 'debug-shell' } },
      spec: { terminationGracePeriodSeconds: 5, containers: [container('shell', 'docker.io/library/busybox:1.37', '10m', '16Mi', { command: ['sleep', 'infinity'] })] },
    },
  ];
}

export function collectionPath(m: KubeManifest): string {
  const [group, version] = m.apiVersion.includes('/') ? m.apiVersion.split('/') : ['', m.apiVersion];
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const plural = `${m.kind.toLowerCase()}s`;
  return m.metadata.namespace ? `${prefix}/namespaces/${m.metadata.namespace}/${plural}` : `${prefix}/${plural}`;
}

/** Creates every manifest that does not exist yet; returns the names it created. */
export async function ensureWorkload(client: KubeRestClient): Promise<string[]> {
  const created: string[] = [];
  for (const m of workloadManifests()) {
    const path = collectionPath(m);
    const res = await createWhenServiceAccountExists(client, path, JSON.parse(JSON.stringify(m)));
    if (res.status === 201 || res.status === 200) created.push(`${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`);
    else if (res.status !== 409) throw new KubeApiError('POST', path, res.status, res.body);
  }
  return created;
}

// A real API server refuses bare pods until the service account controller has created the namespace's
// "default" ServiceAccount (403 "error looking up service account"); that takes a moment after the namespace.
async function createWhenServiceAccountExists(client: KubeRestClient, path: string, body: unknown) {
  for (let attempt = 0; ; attempt++) {
    const res = await client.raw<{ message?: string }>('POST', path, body);
    const waitingForAccount = res.status === 403 && /error looking up service account/.test(res.body?.message ?? '');
    if (!waitingForAccount || attempt >= 50) return res;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function objectPath(m: KubeManifest): string {
  return `${collectionPath(m)}/${encodeURIComponent(m.metadata.name)}`;
}
