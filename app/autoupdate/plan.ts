import type { AutoUpdateStatus, MachineDeploymentSummary, PlanChange, RebootsWithoutDrain } from '../api/auto-update.ts';
import type { NodeSummary } from '../api/nodes.ts';
import type { PlanNote, StatusWarning } from '../api/notes.ts';
import type { RebootWindow } from '../api/pipeline.ts';
import { fluoWindow, type FluoInstallState } from '../cluster/fluo-install.ts';
import { flatdeckKeys } from '../cluster/node-keys.ts';
import { serverSendsRequests } from '../flatcar/update-conf.ts';
import { nodeActions, type DisableMode, type NodeAction, type NodeUnits } from './node-units.ts';

/** One Flatcar node as read for a plan or a status: its units over SSH, or why they could not be read. */
export interface NodeReading {
  node: NodeSummary;
  units: NodeUnits | null;
  error: string | null;
}

export type ToggleStep =
  | { kind: 'fluo-apply'; window: RebootWindow | null }
  | { kind: 'fluo-remove' }
  | { kind: 'reboot-paused'; node: string; paused: boolean }
  | { kind: 'node-action'; node: string; action: NodeAction; units: NodeUnits }
  | { kind: 'node-unreachable'; node: string; error: string };

export interface ToggleInput {
  enable: boolean;
  mode: DisableMode;
  window: RebootWindow | null;
  fluo: FluoInstallState;
  readings: readonly NodeReading[];
}

export const FLATDECK_FLUO_VERSION = 'v0.10.0-rc2';

const foreignFluo = (fluo: FluoInstallState) => fluo.present && fluo.managedBy !== 'flatdeck';

/**
 * What a toggle does, in order: the cluster part first (FLUO), then every Flatcar node. A FLUO that flatdeck did
 * not install is never touched: with Kubermatic's, "off" pauses reboots per node instead. Nodes that could not
 * be read are listed as steps too, so they are retried (read and converged) when the plan is applied.
 */
export function planToggle(input: ToggleInput): { steps: ToggleStep[]; notes: PlanNote[] } {
  const { enable, fluo } = input;
  const steps: ToggleStep[] = [];
  const notes: PlanNote[] = [];
  const note = (code: PlanNote['code'], params: PlanNote['params'], message: string) => notes.push({ code, params, message });
  const where = `${fluo.namespace ?? '?'}${fluo.version ? `, ${fluo.version}` : ''}`;
  const fluoParams = { managedBy: fluo.managedBy ?? '?', where };
  if (enable) {
    if (foreignFluo(fluo)) {
      note('fluoForeignInstalled', fluoParams, `FLUO is already installed by ${fluo.managedBy} (${where}); flatdeck installs nothing and only prepares the nodes.`);
    } else {
      steps.push({ kind: 'fluo-apply', window: input.window });
    }
  } else if (fluo.managedBy === 'flatdeck') {
    steps.push({ kind: 'fluo-remove' });
  } else if (foreignFluo(fluo)) {
    note('fluoForeignKept', fluoParams, `FLUO is managed by ${fluo.managedBy} (${where}) and is not removed; flatdeck pauses its reboots with reboot-paused on every node instead.`);
  }
  for (const r of input.readings) {
    const paused = r.node.fluo?.rebootPaused ?? false;
    if (foreignFluo(fluo) && enable === paused) steps.push({ kind: 'reboot-paused', node: r.node.name, paused: !enable });
    if (!r.units) {
      steps.push({ kind: 'node-unreachable', node: r.node.name, error: r.error ?? 'not read' });
      continue;
    }
    for (const action of nodeActions(r.units, enable, input.mode)) steps.push({ kind: 'node-action', node: r.node.name, action, units: r.units });
  }
  const unreachable = input.readings.filter((r) => !r.units).map((r) => r.node.name);
  if (unreachable.length > 0) note('unreachable', { nodes: unreachable.join(', ') }, `Not reachable over SSH now: ${unreachable.join(', ')}; they are tried again when the plan is applied and on the next toggle.`);
  if (steps.length === 0) note('nothingToDo', { enable }, `Auto-update is already ${enable ? 'on' : 'off'}: nothing to change.`);
  return { steps, notes };
}

export function describeStep(step: ToggleStep): PlanChange {
  const cluster = (code: PlanChange['code'], params: PlanChange['params'], action: string): PlanChange => ({ target: 'cluster', node: null, action, code, params });
  const node = (name: string, code: PlanChange['code'], params: PlanChange['params'], action: string): PlanChange => ({ target: 'node', node: name, action, code, params });
  switch (step.kind) {
    case 'fluo-apply': {
      const fluo = step.window ? fluoWindow(step.window) : null;
      const apply = `apply FLUO ${FLATDECK_FLUO_VERSION} (server-side apply, field manager flatdeck)`;
      if (!fluo) return cluster('fluo-apply', { version: FLATDECK_FLUO_VERSION }, apply);
      return cluster('fluo-apply-window', { version: FLATDECK_FLUO_VERSION, start: fluo.start, length: fluo.length }, `${apply} with reboot window ${fluo.start} for ${fluo.length}`);
    }
    case 'fluo-remove':
      return cluster('fluo-remove', {}, 'remove the FLUO objects flatdeck installed (namespace reboot-coordinator, RBAC)');
    case 'reboot-paused':
      return step.paused ? node(step.node, 'pause-reboots', {}, 'annotate reboot-paused=true') : node(step.node, 'unpause-reboots', {}, 'remove annotation reboot-paused');
    case 'node-action':
      return node(step.node, 'node-action', { action: step.action }, step.action);
    case 'node-unreachable':
      return node(step.node, 'node-unreachable', { error: step.error }, `retry: unreachable now (${step.error})`);
  }
}

const isOn = (u: NodeUnits) => u.updateEngine !== 'masked' && u.updateEngineActive && u.locksmithd === 'masked' && !u.serverDisabledInEtc;
const isOff = (u: NodeUnits) => u.updateEngine === 'masked' || u.serverDisabledInEtc;

/** "on" = FLUO runs (unpaused) and every readable node is ready for it; "off" = no FLUO reboots and no updates. */
export function overallState(fluo: FluoInstallState, readings: readonly NodeReading[]): AutoUpdateStatus['enabled'] {
  const units = readings.flatMap((r) => (r.units ? [r.units] : []));
  const paused = readings.length > 0 && readings.every((r) => r.node.fluo?.rebootPaused);
  if (fluo.present && !paused && units.every(isOn)) return 'on';
  if ((!fluo.present || (foreignFluo(fluo) && paused)) && units.every(isOff)) return 'off';
  return 'mixed';
}

const list = (names: readonly string[]) => names.join(', ');

/** Contradictions and risks worth an operator's attention, one sentence each (English, with a code for the UI). */
export function statusWarnings(fluo: FluoInstallState, readings: readonly NodeReading[], mds: readonly MachineDeploymentSummary[], ubuntuNodes: readonly string[]): StatusWarning[] {
  const warnings: StatusWarning[] = [];
  const warn = (code: StatusWarning['code'], params: StatusWarning['params'], message: string) => warnings.push({ code, params, message });
  const names = (pred: (u: NodeUnits) => boolean) => readings.filter((r) => r.units && pred(r.units)).map((r) => r.node.name);
  if (fluo.present) {
    const masked = names((u) => u.updateEngine === 'masked');
    if (masked.length) warn('fluoMasked', { nodes: list(masked) }, `FLUO is installed but update-engine is masked on ${list(masked)}: those nodes never get updates.`);
    const locksmith = names((u) => u.locksmithdActive || u.locksmithd !== 'masked');
    if (locksmith.length) warn('fluoAndLocksmithd', { nodes: list(locksmith) }, `locksmithd and FLUO are both active on ${list(locksmith)}: either may reboot the node (mask locksmithd).`);
    if (fluo.agentReady < fluo.agentDesired) warn('fluoAgentsNotReady', { ready: fluo.agentReady, desired: fluo.agentDesired }, `The FLUO agent is ready on ${fluo.agentReady} of ${fluo.agentDesired} Flatcar nodes.`);
    if (fluo.version?.startsWith('v0.9.')) {
      const quoted = names((u) => u.quotedOsRelease);
      const managedBy = fluo.managedBy ?? 'unknown';
      if (quoted.length) {
        const params = { version: fluo.version, managedBy, nodes: list(quoted), fixed: FLATDECK_FLUO_VERSION };
        warn('fluoQuotedOsRelease', params, `FLUO ${fluo.version} (${managedBy}) crash-loops on nodes with a quoted /etc/os-release: ${list(quoted)}; ${FLATDECK_FLUO_VERSION} fixes it.`);
      }
    }
  }
  const held = readings.flatMap((r) => (r.node.fluo?.heldBy ? [`${r.node.name} (by ${r.node.fluo.heldBy})`] : []));
  if (held.length) {
    warn(
      'fluoHeldBy',
      { nodes: list(held), key: flatdeckKeys.fluoHeldBy },
      `flatdeck has paused FLUO's reboots on ${list(held)} (${flatdeckKeys.fluoHeldBy}): right while a flatdeck run holds the cluster lock; with no run, a flatdeck that stopped mid-run left them paused, and they stay so until the next run takes the lock and puts them back.`,
    );
  }
  const unread = readings.filter((r) => !r.units);
  for (const r of unread) warn('nodeUnreadable', { node: r.node.name, error: r.error ?? 'unknown error' }, `${r.node.name} could not be read over SSH: ${r.error ?? 'unknown error'}`);
  for (const md of mds) {
    if (md.operatingSystem === 'ubuntu') {
      const params = { name: `${md.namespace}/${md.name}`, count: md.replicas };
      warn('ubuntuMachineDeployment', params, `MachineDeployment ${md.namespace}/${md.name} runs Ubuntu, which is no longer supported for worker nodes: migrate it to Flatcar (replaces its ${md.replicas} node(s)).`);
    }
  }
  const ubuntuOutsideMds = ubuntuNodes.filter((n) => !mds.some((md) => md.nodes.includes(n)));
  if (ubuntuOutsideMds.length) warn('ubuntuNodes', { nodes: list(ubuntuOutsideMds) }, `Ubuntu worker nodes are no longer supported: ${list(ubuntuOutsideMds)}.`);
  return warnings;
}

/**
 * A node whose update-engine runs and can reach its server while locksmithd runs: update_engine downloads an
 * update on its own schedule, and locksmithd (strategy `reboot` when unset) reboots the node as soon as it is
 * staged, with no drain (flatcar/locksmith locksmithctl/daemon.go). What a stock Flatcar node does.
 */
const rebootsUndrained = (u: NodeUnits) => u.updateEngineActive && u.locksmithdActive && serverSendsRequests(u.server ?? undefined);

/** The cluster-level danger of stock nodes, with the two ways out flatdeck offers; null when no node is at risk. */
export function rebootsWithoutDrain(readings: readonly NodeReading[]): RebootsWithoutDrain | null {
  const nodes = readings.filter((r) => r.units && rebootsUndrained(r.units)).map((r) => r.node.name);
  if (nodes.length === 0) return null;
  const one = nodes.length === 1;
  return {
    nodes,
    fluoVersion: FLATDECK_FLUO_VERSION,
    message: `${nodes.length} node${one ? '' : 's'} reboot${one ? 's' : ''} without a drain when an update arrives (update-engine and locksmithd running): ${list(nodes)}`,
    remedies: [
      { enable: true, description: `Turn auto-update on: FLUO ${FLATDECK_FLUO_VERSION} drains each node before its reboot, one node at a time, and locksmithd is stopped and masked.` },
      { enable: false, description: 'Turn auto-update off: no node installs an update by itself; update them with flatdeck, which drains each node first.' },
    ],
  };
}
