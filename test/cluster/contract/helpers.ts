// Building blocks shared by the contract cases: isolated namespaces, small workloads, and waits on the
// controllers (ReplicaSet, StatefulSet, disruption) and on the kubelet role.
import { randomBytes } from 'node:crypto';
import { isRunningAndReady } from '../../../sim/kubelet/pod-status.ts';
import { waitFor } from '../../support/wait-for.ts';
import type { ContractTarget } from './target.ts';

export interface ContractCase {
  name: string;
  run(target: ContractTarget): Promise<void>;
}

export interface Pod {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

export interface KubeList<T> {
  metadata: { resourceVersion: string };
  items: T[];
}

export interface StatusBody {
  kind: string;
  apiVersion: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }>; retryAfterSeconds?: number };
}

export async function freshNamespace(t: ContractTarget, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await t.admin.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

export async function deleteNamespace(t: ContractTarget, name: string): Promise<void> {
  await t.admin.raw('DELETE', `/api/v1/namespaces/${name}`);
}

/** Runs `body` in a fresh namespace and deletes the namespace afterwards, whatever happens. */
export async function inNamespace(t: ContractTarget, prefix: string, body: (ns: string) => Promise<void>): Promise<void> {
  const ns = await freshNamespace(t, prefix);
  try {
    await body(ns);
  } finally {
    await deleteNamespace(t, ns);
  }
}

export function deployment(ns: string, name: string, replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: 'docker.io/library/nginx:1.27.5' }] },
      },
    },
  };
}

export function pdb(ns: string, name: string, app: string, budget: { minAvailable: number } | { maxUnavailable: number }) {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: ns },
    spec: { ...budget, selector: { matchLabels: { app } } },
  };
}

const isReady = (p: Pod) => isRunningAndReady(p);

export async function readyPods(t: ContractTarget, ns: string, app: string, count: number): Promise<Pod[]> {
  return waitFor(
    `${count} ready pods app=${app} in ${ns}`,
    async () => {
      const list = await t.admin.get<KubeList<Pod>>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`);
      const ready = list.items.filter((p) => isReady(p) && !p.metadata.deletionTimestamp);
      return ready.length === count ? ready : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

interface PdbObject {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number };
}

export async function pdbAllows(t: ContractTarget, ns: string, name: string, allowed: number): Promise<void> {
  await waitFor(
    `PDB ${ns}/${name} to allow ${allowed} disruption(s)`,
    async () => {
      const p = await t.admin.get<PdbObject>(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}`);
      const fresh = (p.status?.observedGeneration ?? 0) >= (p.metadata.generation ?? 1);
      return fresh && p.status?.disruptionsAllowed === allowed ? true : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

export function eviction(ns: string, pod: string) {
  return { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: ns } };
}

export const evictionPath = (ns: string, pod: string) => `/api/v1/namespaces/${ns}/pods/${pod}/eviction`;
