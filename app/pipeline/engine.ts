import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { ApiError } from '../api/errors.ts';
import { UpdateOptions, type PreflightReport, type RolloutOptions, type UnfinishedRun } from '../api/pipeline.ts';
import { loadMachineOwnership, machineRefOf } from '../cluster/machine-deployments.ts';
import { flatcarNode } from '../flatcar/node.ts';
import type { SshPool } from '../ssh/pool.ts';
import type { SshTarget } from '../ssh/types.ts';
import { StepDurations } from './eta.ts';
import type { Journal, NodeRecord } from './journal.ts';
import { kubeClusterPort } from './kube-cluster.ts';
import { preflight } from './preflight.ts';
import { findUnfinished, handBackNode, releaseAbandonedLease } from './recovery.ts';
import { restoreNode } from './restore.ts';
import { Run, type RunSpec } from './rollout.ts';
import { detachedNodeCtx, type PipelineDeps } from './run-context.ts';
import { pipelineSteps } from '../api/pipeline.ts';
import { realClock, type ClusterPort, type Clock, type EventSink } from './ports.ts';

export interface EngineOptions {
  clusterId: string;
  kubeConfig: KubeConfig;
  pool: SshPool;
  /** Where to SSH for a Node (address setting, overrides). */
  resolveTarget(node: V1Node): SshTarget;
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

function pickUpdateOptions(saved: Record<string, unknown>): Partial<UpdateOptions> {
  const keys = Object.keys(UpdateOptions.shape);
  return Object.fromEntries(Object.entries(saved).filter(([k]) => keys.includes(k))) as Partial<UpdateOptions>;
}

export function defaultHolder(): string {
  return `${userInfo().username}@${hostname()}#${randomUUID().slice(0, 8)}`;
}

const isFlatcar = (n: V1Node) => /flatcar/i.test(n.status?.nodeInfo?.osImage ?? '');
const versionOf = (n: V1Node) => /(\d+\.\d+\.\d+)/.exec(n.status?.nodeInfo?.osImage ?? '')?.[1] ?? '';

/** One cluster's pipeline: composes the API, SSH, journal and clock, and keeps the runs of this process. */
export class PipelineEngine {
  readonly deps: PipelineDeps;
  readonly runs = new Map<string, Run>();
  private readonly targets = new Map<string, SshTarget>();
  private readonly durationsFile: string;

  constructor(private readonly opts: EngineOptions) {
    const clock = opts.clock ?? realClock;
    this.durationsFile = join(opts.dataDir, `durations-${opts.clusterId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
    this.deps = {
      clusterId: opts.clusterId,
      cluster: opts.cluster ?? kubeClusterPort(opts.kubeConfig, opts.lock, clock),
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

  private async refreshTargets(names: readonly string[]): Promise<V1Node[]> {
    const nodes = await this.deps.cluster.nodes.listNodes();
    for (const n of nodes) {
      const name = n.metadata?.name ?? '';
      if (names.includes(name)) this.targets.set(name, this.opts.resolveTarget(n));
    }
    for (const name of names) if (!nodes.some((n) => n.metadata?.name === name)) throw new ApiError('not-found', `No node named ${name} in cluster ${this.opts.clusterId}`, { node: name });
    return nodes;
  }

  async preflight(node: string, options: Partial<UpdateOptions> = {}): Promise<PreflightReport> {
    await this.refreshTargets([node]);
    const facts = await preflight(this.opts.clusterId, node, this.deps.cluster, this.deps.flatcarNode(node, null), UpdateOptions.parse(options), new Date(this.deps.clock.nowMs()), null);
    return facts.report;
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

  async resolveSelection(sel: RolloutOptions['selection'], order: RolloutOptions['order']): Promise<string[]> {
    const nodes = await this.deps.cluster.nodes.listNodes();
    let picked: V1Node[];
    if (sel.kind === 'nodes') {
      picked = sel.nodes.map((name) => {
        const n = nodes.find((x) => x.metadata?.name === name);
        if (!n) throw new ApiError('not-found', `No node named ${name}`, { node: name });
        return n;
      });
    } else if (sel.kind === 'all-flatcar') picked = nodes.filter(isFlatcar);
    else {
      const custom = this.opts.kubeConfig.makeApiClient(CustomObjectsApi);
      const get = async (path: string) => {
        const plural = path.endsWith('/machines') ? 'machines' : 'machinesets';
        try {
          return await custom.listClusterCustomObject({ group: 'cluster.k8s.io', version: 'v1alpha1', plural });
        } catch {
          return null;
        }
      };
      const own = await loadMachineOwnership(get);
      picked = nodes.filter((n) => {
        const md = own.resolve(machineRefOf(n.metadata?.labels, n.metadata?.annotations), n.metadata?.name);
        return md !== null && (md === sel.name || md.endsWith(`/${sel.name}`));
      });
      if (picked.length === 0) throw new ApiError('not-found', `MachineDeployment ${sel.name} has no nodes`, { machineDeployment: sel.name });
    }
    const names = picked.map((n) => n.metadata?.name ?? '');
    if (order === 'name') names.sort();
    if (order === 'oldest-version-first') {
      const v = new Map(picked.map((n) => [n.metadata?.name ?? '', versionOf(n)]));
      names.sort((a, b) => (v.get(a) ?? '').localeCompare(v.get(b) ?? '', 'en', { numeric: true }));
    }
    return names;
  }

  async startRollout(options: RolloutOptions): Promise<Run> {
    const nodes = await this.resolveSelection(options.selection, options.order);
    if (nodes.length === 0) throw new ApiError('invalid-request', 'The selection contains no Flatcar nodes');
    return this.start({ kind: 'rollout', nodes, options });
  }

  async unfinished(): Promise<UnfinishedRun[]> {
    const found = await findUnfinished(this.deps);
    return [...found.entries()].filter(([runId]) => !this.runs.has(runId)).flatMap(([, r]) => r.info);
  }

  /** Continues an interrupted run with its records (cordon ownership, originals); waits for the old Lease to expire. */
  async resume(runId: string, options: Partial<UpdateOptions> = {}): Promise<Run> {
    const found = (await findUnfinished(this.deps)).get(runId);
    if (!found) throw new ApiError('not-found', `No unfinished run ${runId}`, { runId });
    const saved = this.deps.journal.entries(runId).find((e) => e.type === 'run-start')?.options ?? {};
    // the interrupted run's own choices (drain policy, timeouts) win over today's defaults
    const parsed = UpdateOptions.parse({ ...options, ...pickUpdateOptions(saved) });
    const nodes = [...found.records.keys()];
    return this.start({ kind: nodes.length > 1 ? 'rollout' : 'single', nodes, options: { ...(saved as Partial<RunSpec['options']>), ...parsed }, inherited: found.records, runId });
  }

  /** Clean hand-back: uncordon what the run cordoned, restore update-engine and FLUO, release its Lease. */
  async handBack(runId: string, options: Partial<UpdateOptions> = {}): Promise<string[]> {
    const found = (await findUnfinished(this.deps)).get(runId);
    if (!found) throw new ApiError('not-found', `No unfinished run ${runId}`, { runId });
    const parsed = UpdateOptions.parse(options);
    await this.refreshTargets([...found.records.keys()]);
    const handed: string[] = [];
    for (const rec of found.records.values()) {
      const copy: NodeRecord = { ...rec };
      const ctx = detachedNodeCtx(this.deps, runId, copy, { ...parsed, restoreAfterBootSeconds: 0 });
      if (rec.ueOriginal !== null) await restoreNode(ctx, { backAtMs: null, keepMarks: true });
      await handBackNode(this.deps, rec);
      copy.phase = 'skipped';
      copy.step = null;
      copy.cordonedByUs = false;
      this.deps.journal.append({ v: 1, at: new Date(this.deps.clock.nowMs()).toISOString(), runId, cluster: this.opts.clusterId, holder: this.deps.holder, type: 'node', record: copy });
      handed.push(rec.node);
    }
    await releaseAbandonedLease(this.deps, found.holder, parsed.leaseDurationSeconds);
    this.deps.journal.append({ v: 1, at: new Date(this.deps.clock.nowMs()).toISOString(), runId, cluster: this.opts.clusterId, holder: this.deps.holder, type: 'run-end', status: 'handed-back' });
    return handed;
  }

  get(runId: string): Run {
    const run = this.runs.get(runId);
    if (!run) throw new ApiError('not-found', `No run ${runId} in this session`, { runId });
    return run;
  }
}
