// The simulated kubelets' pod half: for pods bound to our nodes, start them (Running/Ready), mark them not
// ready while their node is down, restart them after a reboot, and finish graceful deletions after the grace
// period. One list+watch over all pods serves every node of the role.
import { ContentType, KubeApiError, type KubeRestClient } from './rest-client.ts';
import type { SimNodeView } from './node-view.ts';
import type { KubeletTiming } from './timing.ts';
import { isRunningAndReady, notReadyStatus, runningStatus, type PodLike } from './pod-status.ts';

interface PodList {
  metadata: { resourceVersion: string };
  items: PodLike[];
}

const key = (pod: PodLike) => `${pod.metadata.namespace}/${pod.metadata.name}`;

export class PodAgent {
  private readonly pods = new Map<string, PodLike>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly nodeIndex = new Map<string, number>();
  private readonly ipCounters = new Map<string, number>();
  private resourceVersion: string | undefined;
  private watchHandle: { abort(): void } | undefined;
  private loop: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly client: KubeRestClient,
    private readonly nodes: ReadonlyMap<string, SimNodeView>,
    private readonly timing: KubeletTiming,
    private readonly log: (msg: string) => void,
  ) {
    [...nodes.keys()].forEach((name, i) => this.nodeIndex.set(name, i));
  }

  async start(): Promise<void> {
    await this.relist();
    this.loop = this.watchLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watchHandle?.abort();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.loop;
  }

  /** Called by the role when one of its nodes goes down or comes back. */
  nodePowerChanged(nodeName: string, up: boolean): void {
    for (const pod of this.pods.values()) {
      if (pod.spec.nodeName !== nodeName) continue;
      this.cancel(pod);
      if (!up && !pod.metadata.deletionTimestamp) {
        this.schedule(pod, 0, () => this.patchStatus(pod, notReadyStatus(new Date())));
      } else if (up) {
        this.reconcile(pod, { rebooted: true });
      }
    }
  }

  private async relist(): Promise<void> {
    const list = await this.client.get<PodList>('/api/v1/pods');
    this.resourceVersion = list.metadata.resourceVersion;
    const seen = new Set<string>();
    for (const pod of list.items) {
      if (!this.isOurs(pod)) continue;
      seen.add(key(pod));
      this.observe(pod);
    }
    for (const [k, pod] of this.pods) if (!seen.has(k)) this.forget(pod);
  }

  private async watchLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        const path = `/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${this.resourceVersion}`;
        const handle = this.client.watch<PodLike & { code?: number }>(path, (ev) => {
          if (ev.type === 'ERROR') {
            // 410 Gone (resourceVersion compacted) or any other watch error: start over from a fresh list.
            this.resourceVersion = undefined;
            handle.abort();
            return;
          }
          this.resourceVersion = ev.object.metadata.resourceVersion ?? this.resourceVersion;
          if (ev.type === 'BOOKMARK') return;
          if (ev.type === 'DELETED') this.forget(ev.object);
          else if (this.isOurs(ev.object)) this.observe(ev.object);
          else this.forget(ev.object);
        });
        this.watchHandle = handle;
        await handle.done;
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 410) this.resourceVersion = undefined;
        else if (!this.stopped) this.log(`kubelet pods watch: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, this.timing.retryMs));
      }
    }
  }

  private isOurs(pod: PodLike): boolean {
    return pod.spec.nodeName !== undefined && this.nodes.has(pod.spec.nodeName);
  }

  private observe(pod: PodLike): void {
    const previous = this.pods.get(key(pod));
    if (previous && previous.metadata.uid !== pod.metadata.uid) this.cancel(previous);
    this.pods.set(key(pod), pod);
    this.reconcile(pod, { rebooted: false });
  }

  private forget(pod: PodLike): void {
    const known = this.pods.get(key(pod));
    if (known && known.metadata.uid === pod.metadata.uid) {
      this.cancel(known);
      this.pods.delete(key(pod));
    }
  }

  private cancel(pod: PodLike): void {
    const t = this.timers.get(key(pod));
    if (t) clearTimeout(t);
    this.timers.delete(key(pod));
  }

  // A failed step (API down, 5xx, timeout) is tried again after retryMs until it succeeds or the pod is gone,
  // as the kubelet's pod workers and status manager keep reconciling after an API outage.
  private schedule(pod: PodLike, delayMs: number, step: () => Promise<void>): void {
    if (this.timers.has(key(pod))) return;
    const t = setTimeout(() => {
      this.timers.delete(key(pod));
      const current = this.pods.get(key(pod));
      if (this.stopped || !current || current.metadata.uid !== pod.metadata.uid) return;
      step().catch((err: unknown) => {
        this.log(`kubelet pod ${key(pod)}: ${(err as Error).message}; retrying`);
        this.schedule(pod, this.timing.retryMs, step);
      });
    }, delayMs);
    this.timers.set(key(pod), t);
  }

  private reconcile(pod: PodLike, opts: { rebooted: boolean }): void {
    const node = this.nodes.get(pod.spec.nodeName ?? '');
    if (!node?.isUp()) return; // a stopped kubelet does nothing; it catches up when the node is back
    if (pod.metadata.deletionTimestamp) {
      if (opts.rebooted) this.cancel(pod);
      const graceMs = opts.rebooted ? 0 : this.timing.scale((pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000);
      this.schedule(pod, graceMs, () => this.finishDeletion(pod));
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    if (opts.rebooted || !isRunningAndReady(pod)) {
      this.schedule(pod, this.timing.podStartMs, () => this.startContainers(node, pod, opts.rebooted));
    }
  }

  private async startContainers(node: SimNodeView, pod: PodLike, rebooted: boolean): Promise<void> {
    const current = this.pods.get(key(pod)) ?? pod;
    if (!rebooted && isRunningAndReady(current)) return;
    await this.patchStatus(current, runningStatus(current, node.address, this.nextPodIp(node.name), new Date()));
  }

  private async finishDeletion(pod: PodLike): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}`;
    const res = await this.client.raw('DELETE', path, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: pod.metadata.uid },
    });
    // 404: already gone; 409: the name now belongs to a new pod (precondition failed).
    if (res.status >= 300 && res.status !== 404 && res.status !== 409) {
      throw new KubeApiError('DELETE', path, res.status, res.body);
    }
  }

  private async patchStatus(pod: PodLike, patch: object): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/status`;
    const res = await this.client.raw('PATCH', path, patch, ContentType.merge);
    if (res.status >= 300 && res.status !== 404 && res.status !== 409) throw new KubeApiError('PATCH', path, res.status, res.body);
  }

  private nextPodIp(nodeName: string): string {
    const i = this.nodeIndex.get(nodeName) ?? 0;
    const n = (this.ipCounters.get(nodeName) ?? 0) + 1;
    this.ipCounters.set(nodeName, n);
    return `10.${244 + (i >> 8)}.${i & 255}.${2 + (n % 250)}`;
  }
}
