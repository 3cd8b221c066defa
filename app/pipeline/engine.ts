import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from '../api/errors.ts';
import type { NodeSummary } from '../api/nodes.ts';
import { RolloutRequest, type PreflightReport, type RolloutOptions, type UnfinishedRun, type UpdateOptions, type UpdateOverrides } from '../api/pipeline.ts';
import { applyOverrides } from '../api/schema-fields.ts';
import { compareVersions } from '../api/versions.ts';
import { DEFAULT_DOMAIN_LABEL, domainOf } from './cluster-lock.ts';
import { flatcarNode } from '../flatcar/node.ts';
import type { SshPool } from '../ssh/pool.ts';
import type { SshTarget } from '../ssh/types.ts';
import { StepDurations } from './eta.ts';
import type { Journal, NodeRecord } from './journal.ts';
import { kubeClusterPort } from './kube-cluster.ts';
import { preflight } from './preflight.ts';
import { findUnfinished, handBackNode, releaseAbandonedLease } from './recovery.ts';
import { restoreNode, stagedAtHandBack } from './restore.ts';
import { unknownNodeError } from '../cluster/unknown-node.ts';
import { Run, type RunSpec } from './rollout.ts';
import { detachedNodeCtx, type PipelineDeps } from './run-context.ts';
import { pipelineSteps } from '../api/pipeline.ts';
import { realClock, type ClusterPort, type Clock, type EventSink } from './ports.ts';
import type { UsrPartitions } from '../api/rollback.ts';
import { planRollback } from '../flatcar/usr-partitions.ts';
import type { RebootRequired } from '../api/ubuntu-reboot.ts';
import { refuseUnlessUbuntu } from './ubuntu-reboot-step.ts';

/** What the engine needs of the cluster's node inventory (app/cluster/inventory.ts). */
export interface EngineInventory {
  get(name: string): NodeSummary | undefined;
  nodes(): NodeSummary[];
  /** Re-reads Machine → MachineDeployment ownership now; a failure (403) is thrown, not swallowed. */
  refreshOwnership(): Promise<void>;
}

export interface EngineOptions {
  clusterId: string;
  kubeConfig: KubeConfig;
  pool: SshPool;
  /** The cluster's inventory as it is now (a reconnect replaces it); resolves once its first list is in. */
  inventory(): Promise<EngineInventory>;
  /** Where to SSH for a node (address setting, overrides). */
  resolveTarget(node: NodeSummary): SshTarget;
  journal: Journal;
  /** Where measured step durations of this cluster are kept between runs (ETA). */
  dataDir: string;
  lock: { namespace: string; name: string };
  emit: EventSink;
  clock?: Clock;
  /** Defaults to user@host#<random instance id>. */
  holder?: string;
  cluster?: ClusterPort;
}

/** What a run's journal keeps of its options (`run-start`), read back to resume it. */
const SavedRunOptions = RolloutRequest.omit({ selection: true });

/** Names grouped by a key (groups in key order, names without one last), each group keeping its order. */
function groupedBy(names: readonly string[], key: (name: string) => string | null): string[] {
  const groups = new Map<string, string[]>();
  const none: string[] = [];
  for (const name of names) {
    const k = key(name);
    if (k === null) none.push(name);
    else groups.set(k, [...(groups.get(k) ?? []), name]);
  }
  return [...[...groups.keys()].sort().flatMap((k) => groups.get(k) ?? []), ...none];
}

export function defaultHolder(): string {
  return `${userInfo().username}@${hostname()}#${randomUUID().slice(0, 8)}`;
}

/** One cluster's pipeline: composes the API, SSH, journal and clock, and keeps the runs of this process. */
export class PipelineEngine {
  readonly deps: PipelineDeps;
  readonly runs = new Map<string, Run>();
  private readonly targets = new Map<string, SshTarget>();
  private readonly durationsFile: string;
  private apiTroubleSaidAtMs = -Infinity;

  constructor(private readonly opts: EngineOptions) {
    const clock = opts.clock ?? realClock;
    this.durationsFile = join(opts.dataDir, `durations-${opts.clusterId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
    this.deps = {
      clusterId: opts.clusterId,
      cluster: opts.cluster ?? kubeClusterPort(opts.kubeConfig, opts.lock, clock, undefined, (what) => this.waitingForApi(what)),
      flatcarNode: (node, runId) => {
        const target = this.targets.get(node);
        if (!target) throw new ApiError('ssh-unreachable', `No SSH address known for node ${node}`, { node });
        return flatcarNode({ shell: opts.pool.shell(target), cluster: opts.clusterId, runId, onCommand: (payload) => this.deps.emit({ topic: 'command', payload }), nowMs: () => clock.nowMs() });
      },
      journal: opts.journal,
      clock,
      emit: opts.emit,
      holder: opts.holder ?? defaultHolder(),
      durations: this.loadDurations(),
      lock: opts.lock,
    };
  }

  /**
   * An API call is being retried: every run still going says it waits for the API (the run's own next
   * update replaces the line). At most one such line every 5 s, so an outage is visible but not noisy.
   */
  private waitingForApi(what: string): void {
    const now = this.deps.clock.nowMs();
    if (now - this.apiTroubleSaidAtMs < 5000) return;
    this.apiTroubleSaidAtMs = now;
    for (const run of this.runs.values()) {
      const state = run.state();
      if (!['succeeded', 'failed', 'cancelled'].includes(state.status)) this.deps.emit({ topic: 'rollout', payload: { ...state, waitingFor: what } });
    }
  }

  private loadDurations(): StepDurations {
    const d = new StepDurations();
    try {
      if (existsSync(this.durationsFile)) {
        const raw = JSON.parse(readFileSync(this.durationsFile, 'utf8')) as Record<string, unknown>;
        for (const step of pipelineSteps) {
          const list = raw[step];
          if (Array.isArray(list)) for (const ms of list.slice(-50)) if (typeof ms === 'number' && ms >= 0) d.record(step, ms);
        }
      }
    } catch {
      // unreadable statistics only cost the ETA; a fresh measurement replaces them
    }
    return d;
  }

  private saveDurations(): void {
    mkdirSync(this.opts.dataDir, { recursive: true });
    writeFileSync(this.durationsFile, JSON.stringify(this.deps.durations.toJSON()));
  }

  private async refreshTargets(names: readonly string[]): Promise<void> {
    const inventory = await this.opts.inventory();
    for (const name of names) {
      const node = inventory.get(name);
      if (!node) throw unknownNodeError(this.opts.clusterId, name, inventory.nodes().map((n) => n.name));
      this.targets.set(name, this.opts.resolveTarget(node));
    }
  }

  async preflight(node: string, options: UpdateOptions): Promise<PreflightReport> {
    await this.refreshTargets([node]);
    const facts = await preflight(this.opts.clusterId, node, this.deps.cluster, this.deps.flatcarNode(node, null), options, new Date(this.deps.clock.nowMs()), null);
    return facts.report;
  }

  /** The node's USR partitions, the other one's release read from it (what a rollback would boot). */
  async usrPartitions(node: string): Promise<UsrPartitions> {
    await this.refreshTargets([node]);
    const read = await this.deps.flatcarNode(node, null).usrPartitions();
    const plan = planRollback(read);
    return { ...read, rollback: plan.kind === 'rollback' ? { kind: 'rollback', version: plan.version } : plan };
  }

  /** An Ubuntu node's /var/run/reboot-required and its packages; any other node is refused with what to use instead. */
  async rebootRequired(node: string): Promise<RebootRequired> {
    await this.refreshTargets([node]);
    const found = (await this.opts.inventory()).get(node);
    refuseUnlessUbuntu(node, found?.distribution ?? 'other', found?.osImage ?? '');
    return { ...(await this.deps.flatcarNode(node, null).rebootRequired()), machineDeployment: found?.machineDeployment ?? null };
  }

  /** Reboots an Ubuntu node through the serialized pipeline, what kured does; refused when it needs none, unless forced. */
  async startReboot(node: string, options: UpdateOptions, force: boolean): Promise<Run> {
    const needs = await this.rebootRequired(node);
    if (!needs.required && !force) {
      throw new ApiError('invalid-request', `${node} does not need a reboot: /var/run/reboot-required is absent (force it to reboot anyway)`, { node });
    }
    return this.start({ kind: 'single', nodes: [node], options, action: 'reboot', ...(force ? { forced: true } : {}) });
  }

  private track(run: Run): Run {
    this.runs.set(run.runId, run);
    void run.done.then(() => this.saveDurations(), () => undefined);
    return run;
  }

  async start(spec: RunSpec): Promise<Run> {
    await this.refreshTargets(spec.nodes);
    return this.track(new Run(this.deps, spec));
  }

  async resolveSelection(sel: RolloutOptions['selection'], order: RolloutOptions['order'], domainLabel: string = DEFAULT_DOMAIN_LABEL): Promise<string[]> {
    const inventory = await this.opts.inventory();
    let picked: NodeSummary[];
    if (sel.kind === 'nodes') {
      picked = sel.nodes.map((name) => {
        const n = inventory.get(name);
        if (!n) throw unknownNodeError(this.opts.clusterId, name, inventory.nodes().map((x) => x.name));
        return n;
      });
    } else if (sel.kind === 'all-flatcar') picked = inventory.nodes().filter((n) => n.distribution === 'flatcar');
    else {
      await inventory.refreshOwnership();
      const md = sel.name;
      picked = inventory.nodes().filter((n) => n.machineDeployment !== null && (n.machineDeployment === md || n.machineDeployment.endsWith(`/${md}`)));
      if (picked.length === 0) throw new ApiError('not-found', `MachineDeployment ${md} has no nodes`, { machineDeployment: md });
    }
    if (order === 'name') picked.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (order === 'oldest-version-first') picked.sort((a, b) => compareVersions(a.flatcarVersion, b.flatcarVersion));
    if (order === 'by-machine-deployment') return groupedBy(picked.map((n) => n.name), (name) => inventory.get(name)?.machineDeployment ?? null);
    if (order === 'by-zone') {
      const nodes = new Map((await this.deps.cluster.nodes.listNodes()).map((n) => [n.metadata?.name ?? '', n]));
      return groupedBy(picked.map((n) => n.name), (name) => domainOf(nodes.get(name), domainLabel));
    }
    return picked.map((n) => n.name);
  }

  async startRollout(options: RolloutOptions): Promise<Run> {
    const nodes = await this.resolveSelection(options.selection, options.order, options.failureDomainLabel);
    if (nodes.length === 0) throw new ApiError('invalid-request', 'The selection contains no Flatcar nodes');
    return this.start({ kind: 'rollout', nodes, options, ...(options.toVersion ? { toVersion: options.toVersion } : {}) });
  }

  async unfinished(): Promise<UnfinishedRun[]> {
    const found = await findUnfinished(this.deps);
    return [...found.entries()].filter(([runId]) => !this.runs.has(runId)).flatMap(([, r]) => r.info);
  }

  /**
   * Continues an interrupted run with its records (cordon ownership, originals); waits for the old Lease to expire.
   * The interrupted run's own choices (drain policy, timeouts), read back from the journal, win over `options`;
   * what the operator sets for this resume (`overrides`, e.g. a longer drain timeout) wins over both.
   */
  async resume(runId: string, options: UpdateOptions, overrides: UpdateOverrides = {}): Promise<Run> {
    const found = (await findUnfinished(this.deps)).get(runId);
    if (!found) throw new ApiError('not-found', `No unfinished run ${runId}`, { runId });
    const saved = this.deps.journal.entries(runId).find((e) => e.type === 'run-start')?.options ?? {};
    const chosen = SavedRunOptions.safeParse(saved);
    if (!chosen.success) throw new ApiError('internal', `The journal of run ${runId} holds options flatdeck cannot read: ${chosen.error.issues[0]?.message ?? ''}`, { runId });
    const nodes = [...found.records.keys()];
    return this.start({ kind: nodes.length > 1 ? 'rollout' : 'single', nodes, options: { ...chosen.data, ...applyOverrides(applyOverrides(options, chosen.data), overrides) }, inherited: found.records, runId });
  }

  /** Clean hand-back: uncordon what the run cordoned, restore update-engine and FLUO, release its Lease. */
  async handBack(runId: string, options: UpdateOptions): Promise<string[]> {
    const found = (await findUnfinished(this.deps)).get(runId);
    if (!found) throw new ApiError('not-found', `No unfinished run ${runId}`, { runId });
    await this.refreshTargets([...found.records.keys()]);
    const handed: string[] = [];
    for (const rec of found.records.values()) {
      const copy: NodeRecord = { ...rec };
      const ctx = detachedNodeCtx(this.deps, runId, copy, { ...options, restoreAfterBootSeconds: 0 });
      const staged = await stagedAtHandBack(ctx);
      if (rec.ueOriginal !== null || (rec.lsOriginal ?? null) !== null || rec.serverLifted) await restoreNode(ctx, { backAtMs: null, keepMarks: true });
      await handBackNode(this.deps, rec, staged);
      copy.phase = 'skipped';
      copy.step = null;
      copy.cordonedByUs = false;
      this.deps.journal.append({ v: 1, at: new Date(this.deps.clock.nowMs()).toISOString(), runId, cluster: this.opts.clusterId, holder: this.deps.holder, type: 'node', record: copy });
      handed.push(rec.node);
    }
    await releaseAbandonedLease(this.deps, found.holder, options.leaseDurationSeconds);
    this.deps.journal.append({ v: 1, at: new Date(this.deps.clock.nowMs()).toISOString(), runId, cluster: this.opts.clusterId, holder: this.deps.holder, type: 'run-end', status: 'handed-back' });
    return handed;
  }

  get(runId: string): Run {
    const run = this.runs.get(runId);
    if (!run) throw new ApiError('not-found', `No run ${runId} in this session`, { runId });
    return run;
  }
}
