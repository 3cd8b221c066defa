// One simulated kubelet's node half: registers the Node, renews its Lease, reports status, and follows the
// SSH node's power state (NotReady while it reboots, Ready with the new bootID and osImage after).
import { randomBytes } from 'node:crypto';
import { ContentType, isStatus, type KubeRestClient } from './rest-client.ts';
import type { SimNodeView } from './node-view.ts';
import type { KubeletTiming } from './timing.ts';
import { ConditionClock, kubeTime, nodeLabels, nodeLease, nodeObject, nodeStatus, NODE_LEASE_NAMESPACE, type NodeHealth } from './node-object.ts';

interface ObjectMeta {
  metadata: { uid?: string; resourceVersion?: string };
}

export class NodeAgent {
  private readonly clock = new ConditionClock();
  private nodeUid: string | undefined;
  private lease: (ObjectMeta & { spec: Record<string, unknown> }) | undefined;
  private reportedBootId: string | undefined;
  private work: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly client: KubeRestClient,
    readonly view: SimNodeView,
    private readonly timing: KubeletTiming,
    private readonly log: (msg: string) => void,
  ) {}

  async start(): Promise<void> {
    await this.register();
    if (this.view.isUp()) await this.renewLease();
    this.unsubscribe = this.view.onPowerChange((up) => this.enqueue(() => (up ? this.bootCompleted() : this.shuttingDown())));
    this.timers.push(
      setInterval(() => this.whileUp(() => this.renewLease()), this.timing.leaseRenewMs),
      setInterval(() => this.whileUp(() => this.postStatus('ready')), this.timing.statusReportMs),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearInterval(t);
    await this.work;
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work.then(async () => {
      if (this.stopped) return;
      try {
        await step();
      } catch (err) {
        this.log(`kubelet ${this.view.name}: ${(err as Error).message}`);
      }
    });
  }

  private whileUp(step: () => Promise<void>): void {
    if (this.view.isUp()) this.enqueue(async () => (this.view.isUp() ? step() : undefined));
  }

  private async register(): Promise<void> {
    const path = `/api/v1/nodes/${encodeURIComponent(this.view.name)}`;
    const created = await this.client.raw<ObjectMeta>('POST', '/api/v1/nodes', nodeObject(this.view, this.clock, new Date()));
    if (created.status === 201) {
      this.nodeUid = created.body.metadata.uid;
    } else if (created.status === 409) {
      // The Node survives kubelet restarts: reconcile the labels the kubelet owns, then report status.
      const node = await this.client.call<ObjectMeta>('PATCH', path, { metadata: { labels: nodeLabels(this.view) } }, ContentType.merge);
      this.nodeUid = node.metadata.uid;
      await this.postStatus(this.view.isUp() ? 'ready' : 'shutting-down');
    } else {
      throw new Error(`registering node ${this.view.name}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
    }
    this.reportedBootId = this.view.bootId();
  }

  private async postStatus(health: NodeHealth): Promise<void> {
    const path = `/api/v1/nodes/${encodeURIComponent(this.view.name)}/status`;
    await this.client.call('PATCH', path, { status: nodeStatus(this.view, health, this.clock, new Date()) }, ContentType.merge);
  }

  private async renewLease(): Promise<void> {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`;
    const path = `${base}/${encodeURIComponent(this.view.name)}`;
    const now = new Date();
    if (!this.lease) {
      const current = await this.client.raw<ObjectMeta & { spec: Record<string, unknown> }>('GET', path);
      if (current.status === 404) {
        this.lease = await this.client.call('POST', base, nodeLease(this.view.name, this.nodeUid, now));
        return;
      }
      if (current.status !== 200) throw new Error(`reading node lease: HTTP ${current.status}`);
      this.lease = current.body;
    }
    const renewed = { ...this.lease, spec: { ...this.lease.spec, ...nodeLease(this.view.name, this.nodeUid, now).spec } };
    try {
      this.lease = await this.client.call('PUT', path, renewed);
    } catch (err) {
      this.lease = undefined; // stale resourceVersion or deleted: re-read next time
      if (!isStatus(err, 409) && !isStatus(err, 404)) throw err;
    }
  }

  private async shuttingDown(): Promise<void> {
    await this.postStatus('shutting-down');
  }

  private async bootCompleted(): Promise<void> {
    await this.postStatus('ready');
    await this.renewLease();
    const bootId = this.view.bootId();
    if (bootId !== this.reportedBootId) {
      this.reportedBootId = bootId;
      await this.recordRebootEvent(bootId);
    }
  }

  private async recordRebootEvent(bootId: string): Promise<void> {
    const now = kubeTime(new Date());
    const name = this.view.name;
    await this.client.call('POST', '/api/v1/namespaces/default/events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace: 'default' },
      involvedObject: { kind: 'Node', name, uid: name, apiVersion: 'v1' },
      reason: 'Rebooted',
      message: `Node ${name} has been rebooted, boot id: ${bootId}`,
      type: 'Warning',
      source: { component: 'kubelet', host: name },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: 'kubelet',
      reportingInstance: name,
    });
  }
}
