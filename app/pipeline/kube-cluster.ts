import type { KubeConfig } from '@kubernetes/client-node';
import { kubeDrainApi, type DrainApi } from '../cluster/drain.ts';
import { kubeFailure } from '../cluster/kube-status.ts';
import { kubeLeaseStore, type LeaseStore } from '../cluster/lease-lock.ts';
import { kubeNodeApi, type NodeApi } from '../cluster/node-api.ts';
import { runJobGate } from './job-gate.ts';
import type { ClusterPort, Clock } from './ports.ts';

/**
 * Transient API trouble (5xx bursts, a restarting API server, dropped connections) must not fail a step
 * that is safe to repeat; these calls are retried with backoff for up to `budgetMs`. 4xx answers are facts
 * and pass through. The eviction 500 ("more than one PodDisruptionBudget") is a permanent refusal.
 */
export function isTransient(err: unknown, call: string): boolean {
  const f = kubeFailure(err);
  if (f.code === null) return true;
  if (f.code === 500) return call !== 'evict';
  return f.code === 502 || f.code === 503 || f.code === 504;
}

function retrying<T extends object>(api: T, clock: Clock, budgetMs: number): T {
  const out = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(api)) {
    if (typeof fn !== 'function') continue;
    out[name] = async (...args: unknown[]) => {
      const deadline = clock.nowMs() + budgetMs;
      for (let attempt = 0; ; attempt++) {
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>).apply(api, args);
        } catch (err) {
          if (!isTransient(err, name) || clock.nowMs() >= deadline) throw err;
          await clock.sleep(Math.min(2000, 100 * 2 ** attempt));
        }
      }
    };
  }
  return out as T;
}

export function kubeClusterPort(kc: KubeConfig, lock: { namespace: string; name: string }, clock: Clock, budgetMs = 60_000): ClusterPort {
  return {
    nodes: retrying<NodeApi>(kubeNodeApi(kc), clock, budgetMs),
    drain: retrying<DrainApi>(kubeDrainApi(kc), clock, budgetMs),
    leaseStore: retrying<LeaseStore>(kubeLeaseStore(kc, lock.namespace, lock.name), clock, budgetMs),
    jobs: { run: (gate, node, signal) => runJobGate(kc, gate, node, clock, signal) },
  };
}
