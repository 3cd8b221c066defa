import type { z } from 'zod';
import type { AutoUpdateReport } from '../api/auto-update.ts';
import { ApiError, type ApiErrorInfo } from '../api/errors.ts';
import { fluoKeys } from '../cluster/fluo.ts';
import { applyFluo, removeFluo } from '../cluster/fluo-install.ts';
import { kubeNodeApi } from '../cluster/node-api.ts';
import { nodeFailure } from '../flatcar/node-errors.ts';
import { mapLimited, SSH_FAN_OUT } from '../ssh/map-limited.ts';
import { runNodeAction } from './node-units.ts';
import { describeStep, type ToggleStep } from './plan.ts';
import type { AutoUpdatePorts } from './ports.ts';

export type StepResult = z.infer<typeof AutoUpdateReport>['results'][number];

function errorInfo(err: unknown, node: string | null): ApiErrorInfo {
  if (node !== null) return nodeFailure(err, node).toInfo();
  return err instanceof ApiError ? err.toInfo() : new ApiError('internal', err instanceof Error ? err.message : String(err)).toInfo();
}

async function runStep(ports: AutoUpdatePorts, step: ToggleStep): Promise<void> {
  const { connection, inventory } = await ports.cluster();
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
      if (!node) throw new ApiError('not-found', `Node ${step.node} is gone from cluster ${ports.clusterId}.`, { cluster: ports.clusterId, node: step.node });
      await runNodeAction(await ports.node(node), step.action, step.units);
      return;
    }
    case 'node-unreachable':
      throw new ApiError('ssh-unreachable', `${step.node}: ${step.error}`, { cluster: ports.clusterId, node: step.node });
  }
}

/** Runs the steps: cluster steps in order, then each node's steps in order (nodes in parallel). */
export async function applySteps(ports: AutoUpdatePorts, steps: readonly ToggleStep[]): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const record = (step: ToggleStep, error: ApiErrorInfo | null) => {
    const d = describeStep(step);
    results.push({ target: `${d.target}: ${d.action}`, node: d.node, ok: error === null, error });
  };
  const byNode = new Map<string, Extract<ToggleStep, { node: string }>[]>();
  for (const step of steps) {
    if (step.kind === 'fluo-apply' || step.kind === 'fluo-remove') {
      try {
        await runStep(ports, step);
        record(step, null);
      } catch (err) {
        record(step, errorInfo(err, null));
        return results; // nodes are left as they are: the cluster part failed, so the toggle did not happen
      }
    } else {
      byNode.set(step.node, [...(byNode.get(step.node) ?? []), step]);
    }
  }
  await mapLimited([...byNode.values()], SSH_FAN_OUT, async (nodeSteps) => {
    for (const step of nodeSteps) {
      try {
        await runStep(ports, step);
        record(step, null);
      } catch (err) {
        record(step, errorInfo(err, step.node));
        return; // the rest of this node's steps depend on this one
      }
    }
  });
  return results;
}
