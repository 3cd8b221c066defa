import type { V1Node } from '@kubernetes/client-node';
import { ApiError, toErrorInfo } from '../api/errors.ts';
import type { Blocker, PreflightReport, UpdateOptions } from '../api/pipeline.ts';
import { hasErrors, planDrain } from '../cluster/drain-filters.ts';
import { fluoBusyReason, readMark } from '../cluster/node-annotations.ts';
import type { ClusterPort, FlatcarNode, UnitState } from './ports.ts';

const unitWord = (u: UnitState | null) => (u ? `${u.file},${u.active ? 'active' : 'inactive'}` : null);

export interface PreflightFacts {
  report: PreflightReport;
  node: V1Node | null;
  updateEngine: UnitState | null;
}

export const drainPolicy = (o: UpdateOptions) => ({
  emptyDirPolicy: o.emptyDirPolicy,
  unmanagedPodPolicy: o.unmanagedPodPolicy,
  skipDeletedAfterSeconds: o.skipDeletedAfterSeconds,
});

const SSH_KINDS = new Set(['ssh-unreachable', 'ssh-timeout', 'ssh-auth-rejected', 'host-key-unknown-rejected', 'host-key-changed', 'ssh-disconnected', 'passphrase-needed']);

/**
 * Step 1: looks, never touches. Everything that would stop the update later is listed here, before
 * anything on the node or in the cluster changes. `runId` lets a resumed run ignore its own marks.
 */
export async function preflight(
  clusterId: string,
  nodeName: string,
  cluster: ClusterPort,
  ops: FlatcarNode,
  options: UpdateOptions,
  now: Date,
  runId: string | null,
): Promise<PreflightFacts> {
  const blockers: Blocker[] = [];
  const errors: ReturnType<typeof toErrorInfo>[] = [];
  const report: PreflightReport = {
    cluster: clusterId,
    node: nodeName,
    ok: false,
    versionId: null,
    bootId: null,
    sudoOk: false,
    updateEngineUnit: null,
    locksmithdUnit: null,
    pods: [],
    blockers,
    errors,
  };
  const block = (kind: Blocker['kind'], message: string, severity: Blocker['severity'] = 'error') => blockers.push({ kind, severity, message, pod: null, pdb: null });

  let node: V1Node | null = null;
  try {
    node = await cluster.nodes.getNode(nodeName);
  } catch (err) {
    errors.push(toErrorInfo(err));
    block('other', `Cannot read Node ${nodeName} from the API server`);
    return { report, node, updateEngine: null };
  }
  if (!/flatcar/i.test(node.status?.nodeInfo?.osImage ?? '')) block('not-flatcar', `Node ${nodeName} does not run Flatcar Container Linux (${node.status?.nodeInfo?.osImage ?? 'unknown OS'})`);

  const mark = readMark(node);
  if (mark && mark.run !== runId && !mark.attention) {
    block('flatdeck-busy', `Node ${nodeName} is in the middle of flatdeck run ${mark.run} by ${mark.instance} (step ${mark.step} since ${mark.since}); waiting for it (resume or hand that run back if it was abandoned)`, 'warning');
  }
  const fluo = fluoBusyReason(node);
  if (fluo) block('fluo-busy', `FLUO is working on node ${nodeName} (${fluo}); flatdeck will wait for it`, 'warning');

  let updateEngine: UnitState | null = null;
  try {
    await ops.sudoCheck();
    report.sudoOk = true;
    report.versionId = await ops.versionId();
    report.bootId = await ops.bootId();
    const nodeBootId = node.status?.nodeInfo?.bootID;
    if (nodeBootId && nodeBootId !== report.bootId) {
      block('ssh', `SSH reaches a machine with boot ID ${report.bootId}, but Node ${nodeName} reports ${nodeBootId}: the SSH address points at another machine`);
    }
    updateEngine = await ops.unitState('update-engine.service');
    report.updateEngineUnit = unitWord(updateEngine);
    const locksmithd = await ops.unitState('locksmithd.service');
    report.locksmithdUnit = unitWord(locksmithd);
    if (locksmithd.active) {
      block('other', `locksmithd is running on ${nodeName}: it may reboot the node by itself, without a drain, once the update is applied`, 'warning');
    }
  } catch (err) {
    const info = toErrorInfo(err);
    errors.push(info);
    if (info.kind === 'sudo-password-required') block('sudo', `sudo on ${nodeName} asks for a password; flatdeck needs passwordless sudo (sudo -n)`);
    else if (SSH_KINDS.has(info.kind)) block('ssh', `SSH to ${nodeName} failed: ${info.message}`);
    else block('other', `Reading ${nodeName} over SSH failed: ${info.message}`);
  }

  try {
    const [pods, pdbs] = await Promise.all([cluster.drain.listPodsOnNode(nodeName), cluster.drain.listPdbs()]);
    const plan = planDrain(pods, pdbs, drainPolicy(options), now);
    report.pods = plan.pods;
    blockers.push(...plan.blockers);
  } catch (err) {
    errors.push(toErrorInfo(err));
    block('other', `Cannot list the pods on ${nodeName}`);
  }
  report.ok = !hasErrors(blockers) && errors.length === 0;
  return { report, node, updateEngine };
}

export function preflightError(report: PreflightReport): ApiError {
  const first = report.blockers.find((b) => b.severity !== 'warning');
  const kind = first?.kind === 'ssh' ? 'ssh-unreachable' : first?.kind === 'sudo' ? 'sudo-password-required' : 'drain-blocked';
  const message = first ? first.message : (report.errors[0]?.message ?? 'Pre-flight failed');
  return new ApiError(report.errors[0] && !first ? report.errors[0].kind : kind, `Pre-flight failed for ${report.node}: ${message}`, {
    node: report.node,
    pod: first?.pod ?? null,
    pdb: first?.pdb ?? null,
    blockers: report.blockers.filter((b) => b.severity !== 'warning').length,
  });
}
