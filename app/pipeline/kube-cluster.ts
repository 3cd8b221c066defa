import { createHash } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ApiError } from '../api/errors.ts';
import { isTransientEvictionFailure, kubeDrainApi, type DrainApi } from '../cluster/drain.ts';
import { kubeFailure } from '../cluster/kube-status.ts';
import { kubeLeaseStore, type LeaseStore } from '../cluster/lease-lock.ts';
import { kubeNodeApi, type NodeApi } from '../cluster/node-api.ts';
import { runJobGate } from './job-gate.ts';
import type { ClusterPort, Clock } from './ports.ts';
import { retry } from '../support/retry.ts';

/**
 * Transient API trouble (5xx bursts, a restarting API server, dropped connections) must not fail a step
 * that is safe to repeat; these calls are retried with backoff for up to `budgetMs`. 4xx answers are facts
 * and pass through. Of the 500s only the eviction's "more than one PodDisruptionBudget" is a permanent refusal.
 */
export function isTransient(err: unknown, call: string): boolean {
  if (err instanceof ApiError) return false; // already classified by the port (e.g. the Lease's missing namespace)
  if (call === 'evict') return isTransientEvictionFailure(err);
  const f = kubeFailure(err);
  return f.code === null || f.code === 500 || f.code === 502 || f.code === 503 || f.code === 504;
}

/** Told about every retry of an API call, so a run can say it waits for the API (and how much longer it will). */
export type ApiTroubleListener = (what: string) => void;

function retrying<T extends object>(api: T, clock: Clock, budgetMs: number, onTrouble: ApiTroubleListener): T {
  const out = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(api)) {
    if (typeof fn !== 'function') continue;
    out[name] = (...args: unknown[]) => {
      const deadlineMs = clock.nowMs() + budgetMs;
      return retry(() => (fn as (...a: unknown[]) => Promise<unknown>).apply(api, args), {
        clock,
        backoff: { initialMs: 100, maxMs: 2000 },
        retryable: (err) => isTransient(err, name),
        deadlineMs,
        onRetry: ({ error }) => {
          const f = kubeFailure(error);
          onTrouble(`the Kubernetes API (${name}: ${f.code ? `HTTP ${f.code} ` : ''}${f.message.split('\n')[0]}); retrying for up to ${Math.max(0, Math.round((deadlineMs - clock.nowMs()) / 1000))} s more`);
        },
      });
    };
  }
  return out as T;
}

export function kubeClusterPort(kc: KubeConfig, lock: { namespace: string; name: string }, clock: Clock, budgetMs = 60_000, onTrouble: ApiTroubleListener = () => undefined): ClusterPort {
  return {
    nodes: retrying<NodeApi>(kubeNodeApi(kc), clock, budgetMs, onTrouble),
    drain: retrying<DrainApi>(kubeDrainApi(kc), clock, budgetMs, onTrouble),
    leaseStore: retrying<LeaseStore>(kubeLeaseStore(kc, lock.namespace, lock.name), clock, budgetMs, onTrouble),
    slotStores: (name) => retrying<LeaseStore>(kubeLeaseStore(kc, lock.namespace, name), clock, budgetMs, onTrouble),
    jobs: { run: (gate, node, signal) => runJobGate(kc, gate, node, clock, signal) },
  };
}

/**
 * Who a cluster is, whatever its kubeconfig context is called (every kubeadm cluster's is
 * `kubernetes-admin@kubernetes`): its API server and the UID of its kube-system namespace, hashed.
 */
export async function clusterIdentity(kc: KubeConfig): Promise<string> {
  const server = kc.getCurrentCluster()?.server ?? '';
  let uid: string;
  try {
    uid = (await kc.makeApiClient(CoreV1Api).readNamespace({ name: 'kube-system' })).metadata?.uid ?? '';
  } catch (err) {
    // without `get namespaces` the API server alone tells clusters apart (less well, but never mixes two servers)
    if (kubeFailure(err).code !== 403) throw err;
    uid = '';
  }
  return createHash('sha256').update(`${server}\n${uid}`).digest('hex').slice(0, 16);
}
