import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { AutoUpdatePlan, AutoUpdateReport, AutoUpdateStatus, MachineDeploymentSummary, NodeAutoUpdateState } from '../api/auto-update.ts';
import { ApiError } from '../api/errors.ts';
import type { NodeSummary } from '../api/nodes.ts';
import type { PlanNote } from '../api/notes.ts';
import type { RebootWindow } from '../api/pipeline.ts';
import { detectFluo, fluoWindow } from '../cluster/fluo-install.ts';
import { editMachineDeployment, type MdRef, type TemplateEdit } from '../cluster/machine-deployment-edit.ts';
import { listMachineDeployments } from '../cluster/machine-deployments.ts';
import { nodeFailure } from '../flatcar/node-errors.ts';
import { mapLimited, SSH_FAN_OUT } from '../ssh/map-limited.ts';
import { applySteps } from './apply.ts';
import { readNodeUnits, type DisableMode } from './node-units.ts';
import { describeStep, overallState, planToggle, rebootsWithoutDrain, statusWarnings, type NodeReading } from './plan.ts';
import type { AutoUpdatePorts } from './ports.ts';

const PLAN_TTL_MS = 15 * 60_000;

interface StoredPlan {
  enable: boolean;
  mode: DisableMode;
  window: RebootWindow | null;
  expires: number;
}

export interface ToggleOptions {
  rebootWindow: RebootWindow | null;
  disableMode: DisableMode;
}

const nodeState = (r: NodeReading): z.infer<typeof NodeAutoUpdateState> => ({
  node: r.node.name,
  updateEngine: r.units?.updateEngine ?? 'unknown',
  updateEngineActive: r.units?.updateEngineActive ?? null,
  locksmithd: r.units?.locksmithd ?? 'unknown',
  locksmithdActive: r.units?.locksmithdActive ?? null,
  group: r.units?.group ?? null,
  server: r.units?.server ?? null,
  reachable: r.units !== null,
  error: r.error,
  fluo: r.node.fluo,
});

const toggleNotes = (enable: boolean, fluoPresent: boolean): PlanNote[] =>
  enable || !fluoPresent ? [] : [{ code: 'rebootsFinish', params: {}, message: 'Reboots already in progress finish; update-engine on the nodes is stopped only after FLUO is removed.' }];

/** FLUO crash-loops on a window it cannot read: refuse it in the plan, before anything is applied. */
function rebootWindow({ rebootWindow: window }: ToggleOptions): RebootWindow | null {
  if (!window) return null;
  try {
    fluoWindow(window);
  } catch (err) {
    throw new ApiError('invalid-request', `Invalid reboot window: ${(err as Error).message}.`, {});
  }
  return window;
}

/**
 * One cluster's auto-update: FLUO (the cluster side, app/cluster/fluo*.ts) and every Flatcar node's units (through
 * the node adapter), as a status, a plan the operator confirms, and the plan applied; plus the MachineDeployment
 * edits. A toggle is a plan first, so the operator sees every change before it happens.
 */
export class AutoUpdateController {
  private readonly plans = new Map<string, StoredPlan>();
  /** Nodes the last apply could not reach: shown in status until a toggle reaches them. */
  private pending = new Set<string>();

  constructor(private readonly ports: AutoUpdatePorts) {}

  async status(): Promise<AutoUpdateStatus> {
    const { inventory, fluo, readings } = await this.gather();
    const mds = await this.machineDeployments();
    const ubuntu = inventory.nodes().filter((n) => n.distribution === 'ubuntu').map((n) => n.name);
    const notes = statusWarnings(fluo, readings, mds, ubuntu);
    const retry = [...this.pending].filter((n) => readings.some((r) => r.node.name === n));
    if (retry.length) notes.push({ code: 'notConverged', params: { nodes: retry.join(', ') }, message: `Not yet converged after the last toggle (unreachable then): ${retry.join(', ')}; the next toggle retries them.` });
    const warnings = notes.map((w) => w.message);
    return { cluster: this.ports.clusterId, enabled: overallState(fluo, readings), fluo, nodes: readings.map(nodeState), machineDeployments: mds, warnings, notes, rebootsWithoutDrain: rebootsWithoutDrain(readings) };
  }

  async plan(enable: boolean, options: ToggleOptions): Promise<AutoUpdatePlan> {
    const window = rebootWindow(options);
    const { fluo, readings } = await this.gather();
    const { steps, notes } = planToggle({ enable, mode: options.disableMode, window, fluo, readings });
    const planId = randomUUID();
    const now = this.ports.nowMs();
    for (const [id, p] of this.plans) if (p.expires < now) this.plans.delete(id);
    this.plans.set(planId, { enable, mode: options.disableMode, window, expires: now + PLAN_TTL_MS });
    const planNotes = [...notes, ...toggleNotes(enable, fluo.present)];
    return { planId, cluster: this.ports.clusterId, enable, changes: steps.map(describeStep), notes: planNotes.map((n) => n.message), planNotes };
  }

  /**
   * Applies a plan: the nodes are read again and only what is still needed runs, so a plan applied twice, or
   * after someone else changed a node, still converges; nodes unreachable now are listed and retried next time.
   */
  async apply(planId: string): Promise<z.infer<typeof AutoUpdateReport>> {
    const cluster = this.ports.clusterId;
    const plan = this.plans.get(planId);
    if (!plan || plan.expires < this.ports.nowMs()) {
      throw new ApiError('not-found', `No auto-update plan ${planId} for cluster ${cluster} (plans expire after 15 minutes); make a new plan.`, { cluster, planId });
    }
    this.plans.delete(planId);
    const { fluo, readings } = await this.gather();
    const { steps } = planToggle({ enable: plan.enable, mode: plan.mode, window: plan.window, fluo, readings });
    const results = await applySteps(this.ports, steps);
    const unreachable = [...new Set(results.filter((r) => !r.ok && r.node && r.error?.kind.startsWith('ssh-')).map((r) => r.node!))].sort();
    this.pending = new Set(unreachable);
    const failed = results.filter((r) => !r.ok).length;
    this.ports.record(
      'auto-update',
      `Auto-update ${plan.enable ? 'on' : 'off'} for ${cluster}: ${results.length - failed} change(s) done, ${failed} failed${unreachable.length ? `, unreachable: ${unreachable.join(', ')}` : ''}`,
      { enable: plan.enable, done: results.length - failed, failed, unreachable: unreachable.join(', ') },
    );
    return { planId, results, unreachable };
  }

  async machineDeployments(): Promise<MachineDeploymentSummary[]> {
    const { inventory, connection } = await this.ports.cluster();
    // Read fresh: the inventory's ownership index refreshes on a timer and lags behind a rollout. A 403 is reported.
    await inventory.refreshOwnership();
    const nodes = inventory.nodes();
    return listMachineDeployments((path) => connection.getJsonOrNull(path), (md) => nodes.filter((n) => n.machineDeployment === md).map((n) => n.name));
  }

  /** Changes a MachineDeployment's template (the machine-controller then replaces its nodes one at a time). */
  async editMachineDeployment(ref: MdRef, edit: TemplateEdit, confirmReplacesNodes: number): Promise<MachineDeploymentSummary> {
    const cluster = this.ports.clusterId;
    const { connection } = await this.ports.cluster();
    const { changed, replicas } = await editMachineDeployment(connection.kubeConfig, ref, edit, confirmReplacesNodes).catch((err) => {
      throw err instanceof ApiError ? err : connection.classify(err, 'patch', 'machinedeployments');
    });
    if (changed) {
      const what = edit.kind === 'migrate-flatcar' ? 'migrated to Flatcar' : `auto-update ${edit.enabled ? 'on' : 'off'}`;
      const params = { name: `${ref.namespace}/${ref.name}`, edit: edit.kind === 'migrate-flatcar' ? 'migrate' : edit.enabled ? 'on' : 'off', count: replicas };
      this.ports.record('machine-deployment', `MachineDeployment ${ref.namespace}/${ref.name} ${what}: replacing ${replicas} node(s), one at a time`, params);
    }
    const md = (await this.machineDeployments()).find((m) => m.namespace === ref.namespace && m.name === ref.name);
    if (!md) throw new ApiError('not-found', `MachineDeployment ${ref.namespace}/${ref.name} is gone.`, { cluster, machineDeployment: ref.name });
    return md;
  }

  /** FLUO and every Flatcar node's units, read at the same time; a node that cannot be read is a reading too. */
  private async gather() {
    const { inventory, connection } = await this.ports.cluster();
    const flatcar = inventory.nodes().filter((n) => n.distribution === 'flatcar');
    const [fluo, readings] = await Promise.all([
      detectFluo(connection.kubeConfig, flatcar.length).catch((err) => {
        throw connection.classify(err, 'list', 'daemonsets');
      }),
      this.readNodes(flatcar),
    ]);
    return { inventory, fluo, readings };
  }

  private readNodes(nodes: readonly NodeSummary[]): Promise<NodeReading[]> {
    return mapLimited(nodes, SSH_FAN_OUT, async (node) => {
      try {
        return { node, units: await readNodeUnits(await this.ports.node(node)), error: null };
      } catch (err) {
        return { node, units: null, error: nodeFailure(err, node.name).message };
      }
    });
  }
}
