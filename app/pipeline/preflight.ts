import type { V1Node } from '@kubernetes/client-node';
import { ApiError, toErrorInfo, type ApiErrorInfo } from '../api/errors.ts';
import type { PreflightPlan } from '../api/notes.ts';
import type { Blocker, PreflightReport, UpdateOptions } from '../api/pipeline.ts';
import { hasErrors, planDrain, type DrainPlan } from '../cluster/drain-filters.ts';
import { fluoBusyReason, readMark } from '../cluster/node-annotations.ts';
import { identifyOs } from '../cluster/node-summary.ts';
import { LIFTED_PREFIX, parseUpdateConf, serverSendsRequests } from '../flatcar/update-conf.ts';
import { locksmithdHeld, locksmithdPlan, unitWord as word } from './node-guards.ts';
import type { NodeRecord } from './journal.ts';
import type { ClusterPort, FlatcarNode, UnitState } from './ports.ts';

/**
 * Step 1 looks and never touches: everything that would stop the update later is listed before anything on
 * the node or in the cluster changes. First it reads what it needs (the Node, the node over SSH, the pods),
 * then every rule of `preflightRules` judges what was read, in order; each says ok or why not.
 */

const unitWordOrNull = (u: UnitState | null) => (u ? word(u) : null);

export interface PreflightFacts {
  report: PreflightReport;
  node: V1Node | null;
  updateEngine: UnitState | null;
  /** Every rule's verdict, in rule order: what was found fine is said too. */
  checks: Array<{ rule: string; verdict: RuleVerdict }>;
}

export const drainPolicy = (o: UpdateOptions) => ({
  emptyDirPolicy: o.emptyDirPolicy,
  unmanagedPodPolicy: o.unmanagedPodPolicy,
  skipDeletedAfterSeconds: o.skipDeletedAfterSeconds,
});

/** What was read over SSH, as far as it got; `error` is why it stopped. */
export interface SshReading {
  sudoOk: boolean;
  versionId: string | null;
  bootId: string | null;
  updateEngine: UnitState | null;
  locksmithd: UnitState | null;
  /** /etc/flatcar/update.conf (null: the file does not exist). */
  etcUpdateConf: string | null;
  error: ApiErrorInfo | null;
}

/** Everything the rules judge, read once. */
export interface Observed {
  nodeName: string;
  /** A resumed run ignores its own marks. */
  runId: string | null;
  node: V1Node;
  ssh: SshReading;
  drain: DrainPlan | ApiErrorInfo;
  /** `reboot`: an Ubuntu node rebooted for its reboot-required sentinel, not a Flatcar update */
  action?: NodeRecord['action'];
}

/** `plan`: what the update will do about what was found (a note for the operator's confirmation). */
export type RuleVerdict = { ok: true; reason: string; plan?: PreflightPlan } | { ok: false; blockers: Blocker[] };
export type PreflightRule = (o: Observed) => RuleVerdict;

const ok = (reason: string): RuleVerdict => ({ ok: true, reason });
/** Passes, and the update will act on what was found (the plan says how). */
const acts = (plan: PreflightPlan): RuleVerdict => ({ ok: true, reason: plan.message, plan });
const block = (kind: Blocker['kind'], message: string, wording: Pick<Blocker, 'code' | 'params'>, severity: Blocker['severity'] = 'error'): Extract<RuleVerdict, { ok: false }> => ({
  ok: false,
  blockers: [{ kind, severity, message, pod: null, pdb: null, ...wording }],
});

function runsFlatcar(o: Observed): RuleVerdict {
  const os = o.node.status?.nodeInfo?.osImage ?? '';
  if (o.action === 'reboot') {
    return identifyOs(os).distribution === 'ubuntu' ? ok(`runs ${os}`) : block('not-flatcar', `Node ${o.nodeName} is not an Ubuntu node (${os || 'unknown OS'}): Flatcar nodes reboot through update or rollback`, { code: 'notUbuntu', params: { node: o.nodeName, os: os || '?' } });
  }
  return identifyOs(os).distribution === 'flatcar' ? ok(`runs ${os}`) : block('not-flatcar', `Node ${o.nodeName} does not run Flatcar Container Linux (${os || 'unknown OS'})`, { code: 'notFlatcar', params: { node: o.nodeName, os: os || '?' } });
}

function noOtherFlatdeckRun(o: Observed): RuleVerdict {
  const mark = readMark(o.node);
  if (!mark || mark.run === o.runId || mark.attention) return ok('no other flatdeck run is working on it');
  const params = { node: o.nodeName, run: mark.run, instance: mark.instance, step: mark.step, since: mark.since };
  const message = `Node ${o.nodeName} is in the middle of flatdeck run ${mark.run} by ${mark.instance} (step ${mark.step} since ${mark.since}); waiting for it (resume or hand that run back if it was abandoned)`;
  return block('flatdeck-busy', message, { code: 'flatdeckBusy', params }, 'warning');
}

function fluoNotWorking(o: Observed): RuleVerdict {
  const fluo = fluoBusyReason(o.node);
  return fluo ? block('fluo-busy', `FLUO is working on node ${o.nodeName} (${fluo}); flatdeck will wait for it`, { code: 'fluoBusy', params: { node: o.nodeName, what: fluo } }, 'warning') : ok('FLUO is not rebooting it');
}

const SSH_KINDS = new Set(['ssh-unreachable', 'ssh-timeout', 'ssh-auth-rejected', 'host-key-unknown-rejected', 'host-key-changed', 'ssh-disconnected', 'passphrase-needed']);

function sshAndSudoWork(o: Observed): RuleVerdict {
  const e = o.ssh.error;
  if (!e) return ok(`SSH and passwordless sudo work (${o.action === 'reboot' ? 'Ubuntu' : 'Flatcar'} ${o.ssh.versionId ?? '?'})`);
  const params = { node: o.nodeName, error: e.message };
  if (e.kind === 'sudo-password-required') return block('sudo', `sudo on ${o.nodeName} asks for a password; flatdeck needs passwordless sudo (sudo -n)`, { code: 'sudoPassword', params });
  if (SSH_KINDS.has(e.kind)) return block('ssh', `SSH to ${o.nodeName} failed: ${e.message}`, { code: 'sshFailed', params });
  return block('other', `Reading ${o.nodeName} over SSH failed: ${e.message}`, { code: 'sshReadFailed', params });
}

function sshReachesThisNode(o: Observed): RuleVerdict {
  const nodeBootId = o.node.status?.nodeInfo?.bootID;
  const sshBootId = o.ssh.bootId;
  if (!nodeBootId || !sshBootId || nodeBootId === sshBootId) return ok('SSH reaches the machine the Node describes (same boot ID)');
  const params = { node: o.nodeName, sshBootId, nodeBootId };
  return block('ssh', `SSH reaches a machine with boot ID ${sshBootId}, but Node ${o.nodeName} reports ${nodeBootId}: the SSH address points at another machine`, { code: 'otherMachine', params });
}

function locksmithdWillNotReboot(o: Observed): RuleVerdict {
  const found = o.ssh.locksmithd;
  if (!found) return ok('locksmithd was not read');
  return locksmithdHeld(found) ? ok(locksmithdPlan(found)) : acts({ code: 'locksmithdHold', params: { state: word(found) }, message: locksmithdPlan(found) });
}

function updateServerReachable(o: Observed): RuleVerdict {
  const text = o.ssh.etcUpdateConf ?? '';
  const server = parseUpdateConf(text).server;
  if (text.includes(LIFTED_PREFIX)) return ok('SERVER=disabled in /etc/flatcar/update.conf is lifted by an earlier run (it is put back afterwards)');
  if (serverSendsRequests(server)) return ok(`update_engine asks ${server ?? 'the image\'s update server'}`);
  const message = `SERVER=${server} in /etc/flatcar/update.conf stops every update check (auto-update off, server-disabled): flatdeck lifts it for this update (the line commented out) and puts it back afterwards`;
  return acts({ code: 'serverLift', params: { server: server ?? '' }, message });
}

function podsCanBeDrained(o: Observed): RuleVerdict {
  if ('kind' in o.drain) return block('other', `Cannot list the pods on ${o.nodeName}`, { code: 'podsUnlisted', params: { node: o.nodeName } });
  const moving = o.drain.pods.filter((p) => !p.action.startsWith('skip')).length;
  return o.drain.blockers.length === 0 ? ok(`${moving} pods can be moved`) : { ok: false, blockers: o.drain.blockers };
}

/** The order is the order of the report: the node itself, other actors, SSH, then its pods. */
export const preflightRules: ReadonlyArray<readonly [string, PreflightRule]> = [
  ['runs-flatcar', runsFlatcar],
  ['no-other-flatdeck-run', noOtherFlatdeckRun],
  ['fluo-not-working', fluoNotWorking],
  ['ssh-and-sudo', sshAndSudoWork],
  ['ssh-reaches-this-node', sshReachesThisNode],
  ['locksmithd-will-not-reboot', locksmithdWillNotReboot],
  ['update-server-reachable', updateServerReachable],
  ['pods-can-be-drained', podsCanBeDrained],
];

/** Rules about update_engine and locksmithd: an Ubuntu node has neither. */
const FLATCAR_ONLY_RULES = new Set(['locksmithd-will-not-reboot', 'update-server-reachable']);

async function readOverSsh(ops: FlatcarNode, action: Observed['action']): Promise<SshReading> {
  const r: SshReading = { sudoOk: false, versionId: null, bootId: null, updateEngine: null, locksmithd: null, etcUpdateConf: null, error: null };
  try {
    await ops.sudoCheck();
    r.sudoOk = true;
    r.versionId = await ops.versionId();
    r.bootId = await ops.bootId();
    if (action === 'reboot') return r;
    r.updateEngine = await ops.unitState('update-engine.service');
    r.locksmithd = await ops.unitState('locksmithd.service');
    r.etcUpdateConf = await ops.updateConf('etc');
  } catch (err) {
    r.error = toErrorInfo(err);
  }
  return r;
}

async function readDrainPlan(cluster: ClusterPort, nodeName: string, options: UpdateOptions, now: Date): Promise<DrainPlan | ApiErrorInfo> {
  try {
    const [pods, pdbs] = await Promise.all([cluster.drain.listPodsOnNode(nodeName), cluster.drain.listPdbs()]);
    return planDrain(pods, pdbs, drainPolicy(options), now);
  } catch (err) {
    return toErrorInfo(err);
  }
}

export async function preflight(
  clusterId: string,
  nodeName: string,
  cluster: ClusterPort,
  ops: FlatcarNode,
  options: UpdateOptions,
  now: Date,
  runId: string | null,
  action?: NodeRecord['action'],
): Promise<PreflightFacts> {
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
    blockers: [],
    errors: [],
    notes: [],
    plans: [],
  };
  let node: V1Node;
  try {
    node = await cluster.nodes.getNode(nodeName);
  } catch (err) {
    const verdict = block('other', `Cannot read Node ${nodeName} from the API server`, { code: 'nodeUnreadable', params: { node: nodeName } });
    report.errors.push(toErrorInfo(err));
    report.blockers.push(...verdict.blockers);
    return { report, node: null, updateEngine: null, checks: [{ rule: 'node-readable', verdict }] };
  }
  const ssh = await readOverSsh(ops, action);
  const drain = await readDrainPlan(cluster, nodeName, options, now);
  Object.assign(report, {
    sudoOk: ssh.sudoOk,
    versionId: ssh.versionId,
    bootId: ssh.bootId,
    updateEngineUnit: unitWordOrNull(ssh.updateEngine),
    locksmithdUnit: unitWordOrNull(ssh.locksmithd),
    pods: 'kind' in drain ? [] : drain.pods,
  });
  for (const e of [ssh.error, 'kind' in drain ? drain : null]) if (e) report.errors.push(e);

  const observed: Observed = { nodeName, runId, node, ssh, drain, action };
  const rules = action === 'reboot' ? preflightRules.filter(([rule]) => !FLATCAR_ONLY_RULES.has(rule)) : preflightRules;
  const checks = rules.map(([rule, judge]) => ({ rule, verdict: judge(observed) }));
  for (const { verdict } of checks) {
    if (!verdict.ok) report.blockers.push(...verdict.blockers);
    else if (verdict.plan) {
      report.notes.push(verdict.plan.message);
      report.plans.push(verdict.plan);
    }
  }
  report.ok = !hasErrors(report.blockers) && report.errors.length === 0;
  return { report, node, updateEngine: ssh.updateEngine, checks };
}

export function preflightError(report: PreflightReport): ApiError {
  const first = report.blockers.find((b) => b.severity !== 'warning');
  const kind = first?.kind === 'ssh' ? 'ssh-unreachable' : first?.kind === 'sudo' ? 'sudo-password-required' : 'drain-blocked';
  const message = first ? first.message : (report.errors[0]?.message ?? 'Pre-flight failed');
  const blockers = report.blockers.filter((b) => b.severity !== 'warning').length;
  const facts = { node: report.node, pod: first?.pod ?? null, pdb: first?.pdb ?? null, blockers };
  // worded in the UI with the first blocker's own wording when it names a pod, else by the count alone
  const code = first?.pod ? 'preflight.blocked' : 'preflight.failed';
  return new ApiError(report.errors[0] && !first ? report.errors[0].kind : kind, `Pre-flight failed for ${report.node}: ${message}`, facts, { code, params: { count: Math.max(blockers, 1), blocker: first?.kind ?? null } });
}
