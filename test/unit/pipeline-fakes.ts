import type { V1Lease, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { ApiError } from '../../app/api/errors.ts';
import { UpdateOptions } from '../../app/api/pipeline.ts';
import { StepDurations } from '../../app/pipeline/eta.ts';
import { MemoryJournal } from '../../app/pipeline/journal.ts';
import type { ClusterPort, Clock, FlatcarNode, PipelineEvent, UeStatus, UnitState } from '../../app/pipeline/ports.ts';
import type { PipelineDeps } from '../../app/pipeline/run-context.ts';

export { virtualClock } from '../support/virtual-clock.ts';

function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v)) {
      const t = (target[k] ??= {}) as Record<string, unknown>;
      deepMerge(t, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

/** An in-memory cluster: Nodes (merge patch), pods on them, PDBs, one Lease; records every patch. */
export class FakeCluster implements ClusterPort {
  nodesByName = new Map<string, V1Node>();
  pods: V1Pod[] = [];
  pdbs: V1PodDisruptionBudget[] = [];
  lease: string | null = null;
  leaseRv = 0;
  patches: Array<{ node: string; patch: Record<string, unknown> }> = [];
  evictAnswer: (pod: V1Pod) => 'ok' | 429 = () => 'ok';
  evictions: string[] = [];
  jobs = null;

  constructor(private readonly clock: Clock) {}

  addNode(name: string, version: string, bootId: string): V1Node {
    const node: V1Node = {
      metadata: { name, resourceVersion: '1', annotations: {}, labels: {} },
      spec: {},
      status: {
        nodeInfo: { bootID: bootId, osImage: `Flatcar Container Linux by Kinvolk ${version}`, architecture: 'amd64', containerRuntimeVersion: '', kernelVersion: '', kubeProxyVersion: '', kubeletVersion: '', machineID: '', operatingSystem: 'linux', systemUUID: '' },
        conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(this.clock.nowMs()) }],
      },
    };
    this.nodesByName.set(name, node);
    return node;
  }

  addPod(node: string, name: string, owner = 'ReplicaSet', labels: Record<string, string> = {}): void {
    this.pods.push({
      metadata: { name, namespace: 'shop', uid: `${name}-uid`, labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: owner, name: `${name}-rs`, uid: 'o', controller: true }] },
      spec: { nodeName: node, containers: [] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }

  unschedulable(node: string): boolean {
    return this.nodesByName.get(node)?.spec?.unschedulable === true;
  }
  annotations(node: string): Record<string, string> {
    return this.nodesByName.get(node)?.metadata?.annotations ?? {};
  }
  /** The API refuses to list pods once a node is cordoned, with `code`: the drain fails after the cordon. */
  failPodListsWhileCordoned(message: string, code: number | null): void {
    const listPods = this.drain.listPodsOnNode;
    this.drain.listPodsOnNode = async (node) => {
      if (this.unschedulable(node)) throw Object.assign(new Error(message), { code });
      return listPods(node);
    };
  }
  cordonPatches(node: string): number {
    return this.patches.filter((p) => p.node === node && (p.patch.spec as { unschedulable?: unknown } | undefined)?.unschedulable === true).length;
  }

  nodes = {
    getNode: async (name: string) => {
      const n = this.nodesByName.get(name);
      if (!n) throw Object.assign(new Error('not found'), { code: 404 });
      return structuredClone(n);
    },
    listNodes: async () => [...this.nodesByName.values()].map((n) => structuredClone(n)),
    mergePatchNode: async (name: string, patch: object) => {
      const n = this.nodesByName.get(name);
      if (!n) throw Object.assign(new Error('not found'), { code: 404 });
      const p = structuredClone(patch) as Record<string, unknown>;
      const rv = (p.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (rv !== undefined && rv !== n.metadata?.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
      if (p.metadata) delete (p.metadata as Record<string, unknown>).resourceVersion;
      this.patches.push({ node: name, patch: p });
      deepMerge(n as unknown as Record<string, unknown>, p);
      n.metadata!.resourceVersion = String(Number(n.metadata?.resourceVersion ?? '0') + 1);
      return structuredClone(n);
    },
  };

  drain = {
    listPodsOnNode: async (node: string) => this.pods.filter((p) => p.spec?.nodeName === node).map((p) => structuredClone(p)),
    listPdbs: async () => this.pdbs,
    evict: async (namespace: string, name: string) => {
      const pod = this.pods.find((p) => p.metadata?.name === name && p.metadata?.namespace === namespace);
      if (!pod) throw Object.assign(new Error('not found'), { code: 404 });
      if (this.evictAnswer(pod) === 429) throw Object.assign(new Error('429'), { code: 429, body: JSON.stringify({ message: 'Cannot evict pod as it would violate the pod\'s disruption budget.', details: { retryAfterSeconds: 10 } }) });
      this.evictions.push(`${namespace}/${name}`);
      this.pods = this.pods.filter((p) => p !== pod);
    },
    readPod: async (namespace: string, name: string) => this.pods.find((p) => p.metadata?.name === name && p.metadata?.namespace === namespace) ?? null,
    deletePod: async (namespace: string, name: string) => {
      this.pods = this.pods.filter((p) => !(p.metadata?.name === name && p.metadata?.namespace === namespace));
    },
  };

  leaseStore = {
    read: async () => (this.lease ? (JSON.parse(this.lease) as V1Lease) : null),
    create: async (l: V1Lease) => {
      if (this.lease) throw Object.assign(new Error('exists'), { code: 409 });
      this.lease = JSON.stringify({ ...l, metadata: { ...l.metadata, resourceVersion: String(++this.leaseRv) } });
      return JSON.parse(this.lease) as V1Lease;
    },
    replace: async (l: V1Lease) => {
      const cur = JSON.parse(this.lease ?? '{}') as V1Lease;
      if (cur.metadata?.resourceVersion !== l.metadata?.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
      this.lease = JSON.stringify({ ...l, metadata: { ...l.metadata, resourceVersion: String(++this.leaseRv) } });
      return JSON.parse(this.lease) as V1Lease;
    },
  };
}

export interface FakeNodeScript {
  version: string;
  offered: string | null;
  ue: UnitState;
  locksmithd?: UnitState;
  rollback?: boolean;
  /** /etc/flatcar/update.conf ('' when absent from the script: tmpfiles.d creates it empty) */
  updateConf?: string;
  sudoFails?: boolean;
  updateFails?: boolean;
  /** the release on the other USR partition (what a rollback boots); absent: never updated, USR-A empty */
  previous?: string | null;
}

/** NEW_SIZE the fake update_engine reports while it knows of an update. */
export const FAKE_PAYLOAD_BYTES = 458_234_665;

/** A scripted Flatcar node: update_engine walks CHECKING → DOWNLOADING → NEED_REBOOT over a few polls. */
export class FakeFlatcar implements FlatcarNode {
  bootIdNow: string;
  op = 'UPDATE_STATUS_IDLE';
  progress = 0;
  lastChecked = 0;
  polls = 0;
  log: string[] = [];
  rebooted = 0;

  constructor(private readonly name: string, private readonly s: FakeNodeScript, private readonly cluster: FakeCluster, private readonly clock: Clock) {
    this.bootIdNow = `${name}-boot-0`;
  }

  async sudoCheck() {
    this.log.push('sudo -n true');
    if (this.s.sudoFails) throw new ApiError('sudo-password-required', 'sudo asked for a password', { node: this.name });
  }
  async versionId() { return this.s.version; }
  async updateConf(where: 'etc' | 'usr') { return where === 'etc' ? (this.s.updateConf ?? '') : 'SERVER=https://public.update.flatcar-linux.net/v1/update/\nGROUP=stable\n'; }
  async writeUpdateConf(text: string) {
    this.log.push('write /etc/flatcar/update.conf');
    this.s.updateConf = text;
  }
  async bootId() { return this.bootIdNow; }
  async unitState(unit: string) {
    return unit === 'update-engine.service' ? { ...this.s.ue } : { ...(this.s.locksmithd ?? { file: 'masked', active: false }) };
  }
  async setUnit(_unit: string, action: 'unmask' | 'mask' | 'start' | 'stop') {
    this.log.push(`systemctl ${action} update-engine.service`);
    if (action === 'unmask') this.s.ue.file = 'disabled';
    if (action === 'mask') this.s.ue.file = 'masked';
    if (action === 'start') this.s.ue.active = true;
    if (action === 'stop') this.s.ue.active = false;
  }
  async status(): Promise<UeStatus> {
    if (this.op === 'UPDATE_STATUS_CHECKING_FOR_UPDATE') {
      if (this.s.updateFails) this.op = 'UPDATE_STATUS_REPORTING_ERROR_EVENT';
      else if (this.s.offered) this.op = 'UPDATE_STATUS_DOWNLOADING';
      else {
        this.op = 'UPDATE_STATUS_IDLE';
        this.lastChecked = Math.floor(this.clock.nowMs() / 1000);
      }
    } else if (this.op === 'UPDATE_STATUS_DOWNLOADING') {
      this.progress = Math.min(1, this.progress + 0.5);
      if (this.progress >= 1) {
        this.op = 'UPDATE_STATUS_UPDATED_NEED_REBOOT';
        this.progress = 0;
      }
    } else if (this.op === 'UPDATE_STATUS_REPORTING_ERROR_EVENT' && this.polls++ > 0) this.op = 'UPDATE_STATUS_IDLE';
    const known = this.op !== 'UPDATE_STATUS_IDLE' && this.s.offered !== null;
    return { op: this.op, progress: this.progress, newVersion: known ? this.s.offered! : '0.0.0', newSize: known ? FAKE_PAYLOAD_BYTES : 0, lastCheckedTime: this.lastChecked };
  }
  async checkForUpdate() {
    this.log.push('update_engine_client -check_for_update');
    if (this.op === 'UPDATE_STATUS_IDLE') this.op = 'UPDATE_STATUS_CHECKING_FOR_UPDATE';
  }
  async watch(_on: (s: UeStatus) => void, signal: AbortSignal) {
    await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
  }
  async reboot() {
    this.log.push('systemctl reboot');
    this.rebooted++;
    this.bootIdNow = `${this.name}-boot-${this.rebooted}`;
    if (this.prioritized && this.s.previous) {
      [this.s.version, this.s.previous] = [this.s.previous, this.s.version];
      this.prioritized = false;
    } else if (!this.s.rollback && this.s.offered) this.s.version = this.s.offered;
    this.op = 'UPDATE_STATUS_IDLE';
    const n = this.cluster.nodesByName.get(this.name)!;
    n.status!.nodeInfo!.bootID = this.bootIdNow;
    n.status!.conditions = [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(this.clock.nowMs() + 1000) }];
  }
  async discardStagedUpdate() {
    this.log.push('flatcar-setgoodroot', 'update_engine_client -reset_status');
    // the booted slot boots next: the staged version never comes
    this.s.offered = null;
    this.op = 'UPDATE_STATUS_IDLE';
  }
  async markBootedGood() {
    this.log.push('flatcar-setgoodroot');
    // the booted partition boots next again
    this.prioritized = false;
  }
  /** `cgpt prioritize` ran on the other partition: the next reboot starts `s.previous`. */
  prioritized = false;
  async usrPartitions() {
    const previous = this.s.previous ?? null;
    return {
      booted: { device: '/dev/sda4', label: 'USR-B', priority: this.prioritized ? 1 : 2, tries: 0, successful: true, version: this.s.version },
      other: { device: '/dev/sda3', label: 'USR-A', priority: this.prioritized ? 2 : 1, tries: 0, successful: previous !== null, version: previous },
      nextBoot: this.prioritized ? ('other' as const) : ('booted' as const),
    };
  }
  async prioritizeUsr(device: string) {
    this.log.push(`cgpt prioritize ${device}`);
    this.prioritized = true;
  }
  async installVersion(version: string) {
    this.log.push(`flatcar-update --to-version ${version}`);
    this.s.offered = version;
    this.op = 'UPDATE_STATUS_UPDATED_NEED_REBOOT';
  }
  /** flatcar-postinst touches /run/reboot-required (/var/run links to /run) once an update is staged. */
  async rebootRequired() {
    return { required: this.op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT', packages: [] };
  }
  reconnect() {}
  async runHealthCheck() { return { exitCode: 0, output: '' }; }
}

export function fakeDeps(cluster: FakeCluster, nodes: Map<string, FakeFlatcar>, clock: Clock, holder = 'tester@host#1') {
  const events: PipelineEvent[] = [];
  const journal = new MemoryJournal();
  const deps: PipelineDeps = {
    clusterId: 'test',
    cluster,
    flatcarNode: (n) => nodes.get(n)!,
    journal,
    clock,
    emit: (e) => events.push(e),
    holder,
    durations: new StepDurations(),
    lock: { namespace: 'kube-system', name: 'flatdeck-update-lock' },
  };
  return { deps, events, journal };
}

export const testOptions = (extra: Partial<UpdateOptions> = {}) => UpdateOptions.parse({ settleSeconds: 1, restoreAfterBootSeconds: 0, ...extra });
