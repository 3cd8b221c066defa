import { CoreV1Api, PolicyV1Api, type KubeConfig, type V1Pod, type V1PodDisruptionBudget } from '@kubernetes/client-node';
import { watchHint } from './watch-hint.ts';
import { kubeFailure, isNotFound } from './kube-status.ts';
import { podRef } from './drain-filters.ts';
import { backoffDelayMs, Nudge, pollUntil } from '../support/retry.ts';

export interface DrainApi {
  listPodsOnNode(node: string): Promise<V1Pod[]>;
  listPdbs(): Promise<V1PodDisruptionBudget[]>;
  /** POST pods/eviction (policy/v1); rejects with the ApiException for non-2xx. */
  evict(namespace: string, name: string): Promise<void>;
  /** null when the pod no longer exists. */
  readPod(namespace: string, name: string): Promise<V1Pod | null>;
  /** DELETE with a UID precondition, so a recreated pod of the same name is never hit. */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
  /** Calls `onChange` with each pod on `node` that changes or goes, until `signal` is cancelled; a hint for a poll. */
  watchPodsOn?(node: string, onChange: (pod: V1Pod) => void, signal: AbortSignal): Promise<void>;
}

export type PodDrainEvent =
  | { type: 'evicting'; pod: string }
  | { type: 'retry'; pod: string; status: number; waitMs: number; reason: string }
  | { type: 'evicted'; pod: string }
  | { type: 'deleted'; pod: string }
  | { type: 'gone'; pod: string }
  | { type: 'blocked'; pod: string; pdb: string | null; reason: string };

export interface EvictOptions {
  deadlineMs: number;
  nowMs: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Poll period while waiting for deletion (kubectl: 1 s); a watch of the pods' node, when the API has one, looks sooner. */
  pollMs?: number;
  /** Backoff when the server gives no (or zero) Retry-After, doubling up to maxRetryMs. */
  minRetryMs?: number;
  maxRetryMs?: number;
  onEvent?: (e: PodDrainEvent) => void;
}

export interface DrainOutcome {
  /** Every pod is gone (by name or UID). */
  finished: boolean;
  remaining: V1Pod[];
  blocked: Array<{ pod: string; pdb: string | null; reason: string }>;
  timedOut: boolean;
}

const gone = (now: V1Pod | null, uid: string | undefined, node: string | undefined) =>
  now === null || now.metadata?.uid !== uid || (node !== undefined && now.spec?.nodeName !== node);

/** The one eviction 500 that is a verdict, not trouble: the pod is covered by several PDBs (the API server refuses to choose). */
export function isMultiPdbRefusal(err: unknown): boolean {
  const f = kubeFailure(err);
  return f.code === 500 && /more than one PodDisruptionBudget/i.test(f.message);
}

/**
 * Trouble that passes (an etcd timeout answered 500, a restarting API server, a dropped connection): the
 * eviction is tried again until the drain deadline, never taken as a refusal.
 */
export function isTransientEvictionFailure(err: unknown): boolean {
  const f = kubeFailure(err);
  if (f.code === null) return true;
  if (f.code === 500) return !isMultiPdbRefusal(err);
  return f.code === 502 || f.code === 503 || f.code === 504;
}

/** The delay before the next eviction attempt: the server's Retry-After when it gave one, else our backoff. */
export function retryDelayMs(retryAfterSeconds: number | null, attempt: number, minMs: number, maxMs: number): number {
  if (retryAfterSeconds !== null && retryAfterSeconds > 0) return retryAfterSeconds * 1000;
  return backoffDelayMs({ initialMs: minMs, maxMs }, attempt);
}

/** Who hears about a change of a pod being drained (namespace/name): its wait for it to be gone. */
type PodChanges = Map<string, () => void>;

/** Runs `work` with a watch of the pods' nodes (when the API has one) telling `changes` about each pod's changes. */
async function watchingPods<T>(api: DrainApi, pods: readonly V1Pod[], work: (changes: PodChanges) => Promise<T>): Promise<T> {
  const changes: PodChanges = new Map();
  const stop = new AbortController();
  const nodes = new Set(pods.flatMap((p) => (p.spec?.nodeName ? [p.spec.nodeName] : [])));
  const heard = (p: V1Pod) => changes.get(podRef(p))?.();
  for (const node of nodes) void api.watchPodsOn?.(node, heard, stop.signal).catch(() => undefined);
  try {
    return await work(changes);
  } finally {
    stop.abort();
  }
}

async function waitGone(api: DrainApi, pod: V1Pod, o: EvictOptions, isDone: () => boolean, changes: PodChanges): Promise<boolean> {
  const ns = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  const check = async () => (gone(await api.readPod(ns, name), pod.metadata?.uid, pod.spec?.nodeName) ? true : isDone() ? false : undefined);
  const nudge = new Nudge();
  changes.set(podRef(pod), () => nudge.fire());
  try {
    const outcome = await pollUntil(check, { clock: { nowMs: o.nowMs, sleep: o.sleep }, intervalMs: o.pollMs ?? 1000, deadlineMs: o.deadlineMs, nudge, ...(o.signal ? { signal: o.signal } : {}) });
    return !outcome.timedOut && outcome.value;
  } finally {
    changes.delete(podRef(pod));
  }
}

/** Evicts one pod through the Eviction API until it is gone, blocked, or the deadline passes. */
type PodResult = { r: 'gone' } | { r: 'timeout' } | { r: 'blocked'; pdb: string | null; reason: string };

async function evictOne(api: DrainApi, pod: V1Pod, o: EvictOptions, isDone: () => boolean, changes: PodChanges): Promise<PodResult> {
  const ns = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  const ref = podRef(pod);
  const emit = o.onEvent ?? (() => undefined);
  for (let attempt = 0; ; attempt++) {
    if (isDone() || o.nowMs() >= o.deadlineMs) return { r: 'timeout' };
    emit({ type: 'evicting', pod: ref });
    try {
      await api.evict(ns, name);
      emit({ type: 'evicted', pod: ref });
      if (!(await waitGone(api, pod, o, isDone, changes))) return { r: 'timeout' };
      emit({ type: 'gone', pod: ref });
      return { r: 'gone' };
    } catch (err) {
      const f = kubeFailure(err);
      if (f.code === 404) {
        emit({ type: 'gone', pod: ref });
        return { r: 'gone' };
      }
      if (f.code === 429 || (f.code === 403 && f.reason !== 'Forbidden' && /terminat/i.test(f.message))) {
        const waitMs = retryDelayMs(f.retryAfterSeconds, attempt, o.minRetryMs ?? 1000, o.maxRetryMs ?? 10_000);
        emit({ type: 'retry', pod: ref, status: f.code, waitMs, reason: f.message });
        await o.sleep(Math.min(waitMs, Math.max(0, o.deadlineMs - o.nowMs())), o.signal);
        // the pod may have gone, or been replaced by a same-name pod elsewhere, while we waited (kubernetes #138229)
        if (gone(await api.readPod(ns, name), pod.metadata?.uid, pod.spec?.nodeName)) {
          emit({ type: 'gone', pod: ref });
          return { r: 'gone' };
        }
        continue;
      }
      if (isTransientEvictionFailure(err)) {
        const waitMs = retryDelayMs(null, attempt, o.minRetryMs ?? 1000, o.maxRetryMs ?? 10_000);
        emit({ type: 'retry', pod: ref, status: f.code ?? 0, waitMs, reason: f.message });
        await o.sleep(Math.min(waitMs, Math.max(0, o.deadlineMs - o.nowMs())), o.signal);
        continue;
      }
      const pdb = isMultiPdbRefusal(err) ? 'more than one PodDisruptionBudget' : null;
      const reason = `HTTP ${f.code ?? '?'}: ${f.message}`;
      emit({ type: 'blocked', pod: ref, pdb, reason });
      return { r: 'blocked', pdb, reason };
    }
  }
}

/** Evicts all pods in parallel (as kubectl does) and waits for each to be gone by UID. */
export async function evictPods(api: DrainApi, pods: readonly V1Pod[], o: EvictOptions): Promise<DrainOutcome> {
  let stop = false;
  const results = await watchingPods(api, pods, (changes) =>
    Promise.all(
      pods.map(async (pod) => {
        const res = await evictOne(api, pod, o, () => stop, changes);
        if (res.r === 'blocked') stop = true;
        return res;
      }),
    ),
  );
  const remaining = pods.filter((_, i) => results[i]?.r !== 'gone');
  const blocked = results.flatMap((res, i) => (res.r === 'blocked' ? [{ pod: podRef(pods[i] as V1Pod), pdb: res.pdb, reason: res.reason }] : []));
  const timedOut = blocked.length === 0 && results.some((res) => res.r === 'timeout');
  return { finished: remaining.length === 0, remaining, blocked, timedOut };
}

/** Force path after a timeout, only with the operator's consent: DELETE each pod (UID precondition), then wait. */
export async function deletePods(api: DrainApi, pods: readonly V1Pod[], o: EvictOptions): Promise<DrainOutcome> {
  const remaining: V1Pod[] = [];
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? 'default';
    try {
      await api.deletePod(ns, pod.metadata?.name ?? '', pod.metadata?.uid ?? '');
      o.onEvent?.({ type: 'deleted', pod: podRef(pod) });
    } catch (err) {
      if (!isNotFound(err) && kubeFailure(err).code !== 409) throw err;
    }
  }
  await watchingPods(api, pods, async (changes) => {
    for (const pod of pods) if (!(await waitGone(api, pod, o, () => false, changes))) remaining.push(pod);
  });
  return { finished: remaining.length === 0, remaining, blocked: [], timedOut: remaining.length > 0 };
}

export function kubeDrainApi(kc: KubeConfig): DrainApi {
  const core = kc.makeApiClient(CoreV1Api);
  const policy = kc.makeApiClient(PolicyV1Api);
  return {
    async listPodsOnNode(node) {
      const items: V1Pod[] = [];
      let cont: string | undefined;
      do {
        const page = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}`, limit: 500, ...(cont ? { _continue: cont } : {}) });
        items.push(...page.items);
        cont = page.metadata?._continue || undefined;
      } while (cont);
      return items;
    },
    listPdbs: async () => (await policy.listPodDisruptionBudgetForAllNamespaces()).items,
    async evict(namespace, name) {
      await core.createNamespacedPodEviction({
        name,
        namespace,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
      });
    },
    async readPod(namespace, name) {
      try {
        return await core.readNamespacedPod({ name, namespace });
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async deletePod(namespace, name, uid) {
      await core.deleteNamespacedPod({ name, namespace, body: { preconditions: { uid } } });
    },
    watchPodsOn: (node, onChange, signal) => watchHint(kc, '/api/v1/pods', `spec.nodeName=${node}`, onChange, signal),
  };
}
