// The agent's drain: kubectl's drain.Helper as FLUO configures it (pkg/agent/agent.go newDrainer):
// IgnoreAllDaemonSets, DeleteEmptyDirData, Force from --force-drain, GracePeriodSeconds -1, Timeout = the agent's
// --grace-period, plus FLUO's filter that leaves kube-system alone. Filters and eviction retries follow
// k8s.io/kubectl/pkg/drain (filters.go, drain.go).
import { KubeApiError, type KubeRestClient } from '../kubelet/rest-client.ts';
import { sleep } from './timing.ts';

interface PodObject {
  metadata: { name: string; namespace: string; uid: string; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> };
  spec: Record<string, unknown>;
  status?: { phase?: string };
}

export interface DrainOptions {
  force: boolean;
  /** drain.Helper.Timeout: the whole eviction and the wait for deletion, real ms */
  timeoutMs: number;
  /** kubectl waits 5 s between evictions refused with 429, and polls deletion every 1 s (real ms here) */
  evictionRetryMs: number;
  deletePollMs: number;
}

type Verdict = { delete: true } | { delete: false; error?: string };

const finished = (pod: PodObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const controllerOf = (pod: PodObject) => pod.metadata.ownerReferences?.find((r) => r.controller === true);
const podPath = (pod: PodObject) => `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}`;

export class Drainer {
  constructor(
    private readonly client: KubeRestClient,
    private readonly opts: DrainOptions,
    private readonly signal: AbortSignal,
  ) {}

  /** GetPodsForDeletion: the pods to evict, or the errors that stop the drain. */
  async podsForDeletion(nodeName: string): Promise<{ pods: PodObject[]; errors: string[] }> {
    const selector = encodeURIComponent(`spec.nodeName=${nodeName}`);
    const list = await this.client.get<{ items: PodObject[] }>(`/api/v1/pods?fieldSelector=${selector}`);
    const pods: PodObject[] = [];
    const errors: string[] = [];
    for (const pod of list.items) {
      const verdict = await this.filter(pod);
      if (verdict.delete) pods.push(pod);
      else if (verdict.error) errors.push(`${pod.metadata.namespace}/${pod.metadata.name}: ${verdict.error}`);
    }
    return { pods, errors };
  }

  // The first filter that says "do not delete" decides (drain.Helper.makeFilters, then FLUO's AdditionalFilters).
  // The local-storage filter lets every pod through: FLUO sets DeleteEmptyDirData.
  private async filter(pod: PodObject): Promise<Verdict> {
    for (const f of [this.daemonSetFilter, this.mirrorPodFilter, this.unreplicatedFilter, this.kubeSystemFilter]) {
      const verdict = await f.call(this, pod);
      if (!verdict.delete) return verdict;
    }
    return { delete: true };
  }

  private async daemonSetFilter(pod: PodObject): Promise<Verdict> {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'DaemonSet' || finished(pod)) return { delete: true };
    const ds = await this.client.raw('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/daemonsets/${encodeURIComponent(ref.name)}`);
    if (ds.status === 404 && this.opts.force) return { delete: true };
    if (ds.status !== 200) return { delete: false, error: `daemonsets.apps "${ref.name}" not found` };
    return { delete: false }; // IgnoreAllDaemonSets: skipped with a warning
  }

  private async mirrorPodFilter(pod: PodObject): Promise<Verdict> {
    return pod.metadata.annotations?.['kubernetes.io/config.mirror'] === undefined ? { delete: true } : { delete: false };
  }

  private async unreplicatedFilter(pod: PodObject): Promise<Verdict> {
    if (finished(pod) || controllerOf(pod) || this.opts.force) return { delete: true };
    return { delete: false, error: 'cannot delete Pods that declare no controller (use --force to override)' };
  }

  private async kubeSystemFilter(pod: PodObject): Promise<Verdict> {
    return pod.metadata.namespace === 'kube-system' ? { delete: false } : { delete: true };
  }

  /** DeleteOrEvictPods with the Eviction API: every pod evicted (429 retried), then waited for until gone. */
  async evictAndWait(pods: readonly PodObject[]): Promise<void> {
    const deadline = Date.now() + this.opts.timeoutMs;
    await Promise.all(pods.map((pod) => this.evict(pod, deadline)));
    await Promise.all(pods.map((pod) => this.waitGone(pod, deadline)));
  }

  private async evict(pod: PodObject, deadline: number): Promise<void> {
    for (;;) {
      const res = await this.client.raw('POST', `${podPath(pod)}/eviction`, {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
      });
      if (res.status < 300 || res.status === 404) return;
      if (res.status !== 429) throw new KubeApiError('POST', `${podPath(pod)}/eviction`, res.status, res.body);
      if (Date.now() + this.opts.evictionRetryMs > deadline) throw new Error(`global timeout reached while evicting ${pod.metadata.namespace}/${pod.metadata.name}`);
      await sleep(this.opts.evictionRetryMs, this.signal);
    }
  }

  private async waitGone(pod: PodObject, deadline: number): Promise<void> {
    for (;;) {
      const res = await this.client.raw<PodObject>('GET', podPath(pod));
      if (res.status === 404 || (res.status === 200 && res.body.metadata.uid !== pod.metadata.uid)) return;
      if (Date.now() > deadline) throw new Error(`global timeout reached waiting for ${pod.metadata.namespace}/${pod.metadata.name} to be deleted`);
      await sleep(this.opts.deletePollMs, this.signal);
    }
  }
}
