import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { AutoUpdatePlan, AutoUpdateReport, MachineDeploymentSummary, NodeAutoUpdateState } from '../api/auto-update.ts';
import { ApiError, type ApiErrorInfo } from '../api/errors.ts';
import type { NodeSummary } from '../api/nodes.ts';
import { fluoKeys } from '../cluster/fluo.ts';
import { applyFluo, detectFluo, removeFluo, validateRebootWindow, type RebootWindow } from '../cluster/fluo-install.ts';
import { editMachineDeployment, type TemplateEdit } from '../cluster/machine-deployment-edit.ts';
import { listMachineDeployments, loadMachineOwnership, MachineOwnership } from '../cluster/machine-deployments.ts';
import { kubeNodeApi } from '../cluster/node-api.ts';
import { nodeFailure } from '../flatcar/node-errors.ts';
import { readNodeUnits, runNodeAction, type DisableMode } from './auto-update/node-units.ts';
import { describeStep, overallState, planToggle, statusWarnings, type NodeReading, type ToggleStep } from './auto-update/plan.ts';
import type { MethodModule, ServiceContext } from './context.ts';
import { mapLimited } from './map-limited.ts';

const SSH_CONCURRENCY = 16;
const PLAN_TTL_MS = 15 * 60_000;

interface StoredPlan {
  cluster: string;
  enable: boolean;
  mode: DisableMode;
  window: RebootWindow | null;
  expires: number;
}

type StepResult = z.infer<typeof AutoUpdateReport>['results'][number];

function errorInfo(err: unknown, node: string | null): ApiErrorInfo {
  if (node !== null) return nodeFailure(err, node).toInfo();
  return err instanceof ApiError ? err.toInfo() : new ApiError('internal', err instanceof Error ? err.message : String(err)).toInfo();
}

/** The cluster-wide auto-update toggle (FLUO + every Flatcar node's units) and the MachineDeployment edits. */
export const autoUpdateMethods: MethodModule = (ctx) => {
  const plans = new Map<string, StoredPlan>();
  /** Nodes the last apply could not reach, per cluster: shown in status until a toggle reaches them. */
  const pending = new Map<string, Set<string>>();

  const connected = async (cluster: string) => {
    await ctx.clusters.connect(cluster);
    return { inventory: await ctx.clusters.inventory(cluster), connection: ctx.clusters.connection(cluster) };
  };

  const readNodes = async (cluster: string, nodes: readonly NodeSummary[]): Promise<NodeReading[]> => {
    return mapLimited(nodes, SSH_CONCURRENCY, async (node) => {
      try {
        return { node, units: await readNodeUnits(await ctx.ssh.flatcarNode(cluster, node, ctx.emit)), error: null };
      } catch (err) {
        return { node, units: null, error: errorInfo(err, node.name).message };
      }
    });
  };

  const mdList = async (cluster: string): Promise<MachineDeploymentSummary[]> => {
    const { inventory, connection } = await connected(cluster);
    const nodes = inventory.nodes();
    const getJson = (path: string) => connection.getJsonOrNull(path);
    // Read fresh: the inventory's ownership index refreshes on a timer and lags behind a rollout.
    // Without permission to read Machines the inventory's own index (possibly empty) is all there is.
    const ownership = await loadMachineOwnership(getJson).catch(() => MachineOwnership.empty());
    const mdOf = (n: NodeSummary) => ownership.resolve(null, n.name) ?? n.machineDeployment;
    return listMachineDeployments(getJson, (md) => nodes.filter((n) => mdOf(n) === md).map((n) => n.name));
  };

  const gather = async (cluster: string) => {
    const { inventory, connection } = await connected(cluster);
    const flatcar = inventory.nodes().filter((n) => n.distribution === 'flatcar');
    const [fluo, readings] = await Promise.all([detectFluo(connection.kubeConfig, flatcar.length).catch((err) => {
      throw connection.classify(err, 'list', 'daemonsets');
    }), readNodes(cluster, flatcar)]);
    return { inventory, connection, fluo, readings };
  };

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

  const runStep = async (cluster: string, step: ToggleStep): Promise<void> => {
    const { connection, inventory } = await connected(cluster);
    const kc = connection.kubeConfig;
    switch (step.kind) {
      case 'fluo-apply':
        await applyFluo(kc, step.window).catch((err) => {
          throw connection.classify(err, 'apply', 'flatcar-linux-update-operator');
        });
        return;
      case 'fluo-remove':
        await removeFluo(kc).catch((err) => {
          throw connection.classify(err, 'delete', 'flatcar-linux-update-operator');
        });
        return;
      case 'reboot-paused':
        await kubeNodeApi(kc)
          .mergePatchNode(step.node, { metadata: { annotations: { [fluoKeys.rebootPaused]: step.paused ? 'true' : null } } })
          .catch((err) => {
            throw connection.classify(err, 'patch', 'nodes');
          });
        return;
      case 'node-action': {
        const node = inventory.get(step.node);
        if (!node) throw new ApiError('not-found', `Node ${step.node} is gone from cluster ${cluster}.`, { cluster, node: step.node });
        await runNodeAction(await ctx.ssh.flatcarNode(cluster, node, ctx.emit), step.action, step.units);
        return;
      }
      case 'node-unreachable':
        throw new ApiError('ssh-unreachable', `${step.node}: ${step.error}`, { cluster, node: step.node });
    }
  };

  /** Runs the steps: cluster steps in order, then each node's steps in order (nodes in parallel). */
  const execute = async (cluster: string, steps: readonly ToggleStep[]): Promise<StepResult[]> => {
    const results: StepResult[] = [];
    const record = (step: ToggleStep, error: ApiErrorInfo | null) => {
      const d = describeStep(step);
      results.push({ target: `${d.target}: ${d.action}`, node: d.node, ok: error === null, error });
    };
    const byNode = new Map<string, Extract<ToggleStep, { node: string }>[]>();
    for (const step of steps) {
      if (step.kind === 'fluo-apply' || step.kind === 'fluo-remove') {
        try {
          await runStep(cluster, step);
          record(step, null);
        } catch (err) {
          record(step, errorInfo(err, null));
          return results; // nodes are left as they are: the cluster part failed, so the toggle did not happen
        }
      } else {
        byNode.set(step.node, [...(byNode.get(step.node) ?? []), step]);
      }
    }
    await mapLimited([...byNode.values()], SSH_CONCURRENCY, async (nodeSteps) => {
      for (const step of nodeSteps) {
        try {
          await runStep(cluster, step);
          record(step, null);
        } catch (err) {
          record(step, errorInfo(err, step.node));
          return; // the rest of this node's steps depend on this one
        }
      }
    });
    return results;
  };

  const toggleNotes = (enable: boolean, fluoPresent: boolean) =>
    enable || !fluoPresent ? [] : ['Reboots already in progress finish; update-engine on the nodes is stopped only after FLUO is removed.'];

  return {
    'autoUpdate.status': async ({ cluster }) => {
      const { inventory, fluo, readings } = await gather(cluster);
      const mds = await mdList(cluster);
      const ubuntu = inventory.nodes().filter((n) => n.distribution === 'ubuntu').map((n) => n.name);
      const warnings = statusWarnings(fluo, readings, mds, ubuntu);
      const retry = [...(pending.get(cluster) ?? [])].filter((n) => readings.some((r) => r.node.name === n));
      if (retry.length) warnings.push(`Not yet converged after the last toggle (unreachable then): ${retry.join(', ')}; the next toggle retries them.`);
      return { cluster, enabled: overallState(fluo, readings), fluo, nodes: readings.map(nodeState), machineDeployments: mds, warnings };
    },

    'autoUpdate.plan': async ({ cluster, enable, options }) => {
      const { rebootWindowStart: start, rebootWindowLength: length, disableMode } = options;
      if ((start === null) !== (length === null)) throw new ApiError('invalid-request', 'A reboot window needs both a start and a length.', {});
      const window = start !== null && length !== null ? { start, length } : null;
      const invalid = window ? validateRebootWindow(window) : null;
      if (invalid) throw new ApiError('invalid-request', `Invalid ${invalid}.`, {});
      const { fluo, readings } = await gather(cluster);
      const { steps, notes } = planToggle({ enable, mode: disableMode, window, fluo, readings });
      const planId = randomUUID();
      const now = Date.now();
      for (const [id, p] of plans) if (p.expires < now) plans.delete(id);
      plans.set(planId, { cluster, enable, mode: disableMode, window, expires: now + PLAN_TTL_MS });
      const plan: AutoUpdatePlan = { planId, cluster, enable, changes: steps.map(describeStep), notes: [...notes, ...toggleNotes(enable, fluo.present)] };
      return plan;
    },

    /**
     * Applies a plan: the nodes are read again and only what is still needed runs, so a plan applied twice, or
     * after someone else changed a node, still converges; nodes unreachable now are listed and retried next time.
     */
    'autoUpdate.apply': async ({ cluster, planId }) => {
      const plan = plans.get(planId);
      if (!plan || plan.cluster !== cluster || plan.expires < Date.now()) {
        throw new ApiError('not-found', `No auto-update plan ${planId} for cluster ${cluster} (plans expire after 15 minutes); make a new plan.`, { cluster, planId });
      }
      plans.delete(planId);
      const { fluo, readings } = await gather(cluster);
      const { steps } = planToggle({ enable: plan.enable, mode: plan.mode, window: plan.window, fluo, readings });
      const results = await execute(cluster, steps);
      const unreachable = [...new Set(results.filter((r) => !r.ok && r.node && r.error?.kind.startsWith('ssh-')).map((r) => r.node!))].sort();
      pending.set(cluster, new Set(unreachable));
      const failed = results.filter((r) => !r.ok).length;
      ctx.activity.record(
        'auto-update',
        `Auto-update ${plan.enable ? 'on' : 'off'} for ${cluster}: ${results.length - failed} change(s) done, ${failed} failed${unreachable.length ? `, unreachable: ${unreachable.join(', ')}` : ''}`,
        { cluster },
      );
      return { planId, results, unreachable };
    },

    'md.list': async ({ cluster }) => mdList(cluster),

    'md.setAutoUpdate': async ({ cluster, namespace, name, enabled, confirmReplacesNodes }) =>
      editMd(ctx, cluster, { namespace, name }, { kind: 'auto-update', enabled }, confirmReplacesNodes, mdList),

    'md.migrateFlatcar': async ({ cluster, namespace, name, confirmReplacesNodes }) =>
      editMd(ctx, cluster, { namespace, name }, { kind: 'migrate-flatcar' }, confirmReplacesNodes, mdList),
  };
};

async function editMd(
  ctx: ServiceContext,
  cluster: string,
  ref: { namespace: string; name: string },
  edit: TemplateEdit,
  confirm: number,
  mdList: (cluster: string) => Promise<MachineDeploymentSummary[]>,
): Promise<MachineDeploymentSummary> {
  await ctx.clusters.connect(cluster);
  const connection = ctx.clusters.connection(cluster);
  const { changed, replicas } = await editMachineDeployment(connection.kubeConfig, ref, edit, confirm).catch((err) => {
    throw err instanceof ApiError ? err : connection.classify(err, 'patch', 'machinedeployments');
  });
  if (changed) {
    const what = edit.kind === 'migrate-flatcar' ? 'migrated to Flatcar' : `auto-update ${edit.enabled ? 'on' : 'off'}`;
    ctx.activity.record('machine-deployment', `MachineDeployment ${ref.namespace}/${ref.name} ${what}: replacing ${replicas} node(s), one at a time`, { cluster });
  }
  const md = (await mdList(cluster)).find((m) => m.namespace === ref.namespace && m.name === ref.name);
  if (!md) throw new ApiError('not-found', `MachineDeployment ${ref.namespace}/${ref.name} is gone.`, { cluster, machineDeployment: ref.name });
  return md;
}
