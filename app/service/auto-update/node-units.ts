import type { z } from 'zod';
import type { NodeAutoUpdateState } from '../../api/auto-update.ts';
import { classifyExecResult } from '../../flatcar/classify.ts';
import type { Command } from '../../flatcar/command.ts';
import { readOsRelease } from '../../flatcar/os-release.ts';
import { parseIsActive, parseIsEnabled, systemctl, type FlatcarUnit, type UnitFileState } from '../../flatcar/systemctl.ts';
import { effectiveUpdateConf, parseUpdateConf, readUpdateConf, withServerDisabled, writeUpdateConf } from '../../flatcar/update-conf.ts';
import { fromFlatcar } from '../../pipeline/flatcar-node.ts';
import type { SshPool } from '../../ssh/pool.ts';
import type { SshTarget } from '../../ssh/types.ts';

type UnitWord = z.infer<typeof NodeAutoUpdateState>['updateEngine'];

const COMMAND_TIMEOUT_MS = 30_000;

/** The auto-update relevant facts of one node, read over SSH. */
export interface NodeUnits {
  updateEngine: UnitWord;
  updateEngineActive: boolean;
  locksmithd: UnitWord;
  locksmithdActive: boolean;
  group: string | null;
  server: string | null;
  /** `SERVER=disabled` is set in /etc/flatcar/update.conf (what flatdeck's server-disabled mode writes). */
  serverDisabledInEtc: boolean;
  /** The text of /etc/flatcar/update.conf, null when it does not exist (rewritten with only SERVER changed). */
  etcUpdateConf: string | null;
  /** os-release values in double quotes (current Flatcar): FLUO v0.9.0's agent crash-loops on these. */
  quotedOsRelease: boolean;
}

function unitWord(state: UnitFileState): UnitWord {
  if (state === 'enabled' || state === 'enabled-runtime') return 'enabled';
  if (state === 'masked' || state === 'masked-runtime') return 'masked';
  if (state === 'disabled' || state === 'static') return state;
  return 'unknown';
}

async function exec(pool: SshPool, target: SshTarget, cmd: Command) {
  return pool.exec(target, cmd, { timeoutMs: COMMAND_TIMEOUT_MS });
}

/** `cat` of a file that may be missing: null then; any other failure is an error. */
async function readConfText(pool: SshPool, target: SshTarget, where: 'etc' | 'usr'): Promise<string | null> {
  const out = await exec(pool, target, readUpdateConf(where));
  if (out.exitCode !== 0 && /No such file or directory/.test(out.stderr)) return null;
  const failure = classifyExecResult(readUpdateConf(where), out, target.nodeName);
  if (failure) throw fromFlatcar(failure, target.nodeName);
  return out.stdout;
}

async function unitState(pool: SshPool, target: SshTarget, unit: FlatcarUnit): Promise<[UnitWord, boolean]> {
  const enabled = parseIsEnabled(await exec(pool, target, systemctl.isEnabled(unit)));
  const active = parseIsActive(await exec(pool, target, systemctl.isActive(unit)));
  return [unitWord(enabled.state), active.running];
}

/** Reads one node; the commands share its one connection (the pool caps channels). Throws SshError/ApiError. */
export async function readNodeUnits(pool: SshPool, target: SshTarget): Promise<NodeUnits> {
  const [[updateEngine, updateEngineActive], [locksmithd, locksmithdActive], etc, usr, osRelease] = await Promise.all([
    unitState(pool, target, 'update-engine.service'),
    unitState(pool, target, 'locksmithd.service'),
    readConfText(pool, target, 'etc'),
    readConfText(pool, target, 'usr'),
    exec(pool, target, readOsRelease()),
  ]);
  const etcConf = parseUpdateConf(etc ?? '');
  const conf = effectiveUpdateConf([etcConf, parseUpdateConf(usr ?? '')]);
  return {
    updateEngine,
    updateEngineActive,
    locksmithd,
    locksmithdActive,
    group: conf.group ?? null,
    server: conf.server ?? null,
    serverDisabledInEtc: etcConf.server === 'disabled',
    etcUpdateConf: etc,
    quotedOsRelease: /^(ID|VERSION|VERSION_ID)="/m.test(osRelease.stdout),
  };
}

export type DisableMode = 'mask' | 'server-disabled';

export const NODE_ACTIONS = {
  'unmask update-engine': systemctl.unmask('update-engine.service'),
  'enable update-engine': systemctl.enable('update-engine.service'),
  'start update-engine': systemctl.start('update-engine.service'),
  'stop update-engine': systemctl.stop('update-engine.service'),
  'mask update-engine': systemctl.mask('update-engine.service'),
  'stop locksmithd': systemctl.stop('locksmithd.service'),
  'mask locksmithd': systemctl.mask('locksmithd.service'),
} as const satisfies Record<string, Command>;
/** update.conf edits: the whole file is written back through `tee` with only the SERVER line changed. */
const CONF_ACTIONS = { 'set SERVER=disabled': true, 'remove SERVER=disabled': false } as const;
export type NodeAction = keyof typeof NODE_ACTIONS | keyof typeof CONF_ACTIONS;

/**
 * What must run on a node to reach the wanted state, in order; empty when it is already there (idempotent).
 * On: update-engine unmasked, enabled and running, locksmithd stopped and masked (FLUO reboots, not locksmithd),
 * no SERVER=disabled. Off (mask): update-engine stopped and masked. Off (server-disabled): SERVER=disabled with
 * update-engine running, so it still marks booted slots good (Flatcar's documented way).
 */
export function nodeActions(units: NodeUnits, enable: boolean, mode: DisableMode): NodeAction[] {
  const actions: NodeAction[] = [];
  if (enable) {
    if (units.serverDisabledInEtc) actions.push('remove SERVER=disabled');
    if (units.updateEngine === 'masked') actions.push('unmask update-engine');
    if (units.updateEngine !== 'enabled' && units.updateEngine !== 'static') actions.push('enable update-engine');
    if (!units.updateEngineActive) actions.push('start update-engine');
    if (units.locksmithdActive) actions.push('stop locksmithd');
    if (units.locksmithd !== 'masked') actions.push('mask locksmithd');
    return actions;
  }
  if (mode === 'mask') {
    if (units.updateEngineActive) actions.push('stop update-engine');
    if (units.updateEngine !== 'masked') actions.push('mask update-engine');
    return actions;
  }
  if (!units.serverDisabledInEtc) actions.push('set SERVER=disabled');
  if (units.updateEngine === 'masked') actions.push('unmask update-engine');
  if (units.updateEngine !== 'enabled' && units.updateEngine !== 'static') actions.push('enable update-engine');
  if (!units.updateEngineActive) actions.push('start update-engine');
  return actions;
}

/** Runs one action; a non-zero exit becomes the classified error (sudo password, masked unit, …). */
export async function runNodeAction(pool: SshPool, target: SshTarget, action: NodeAction, units: NodeUnits): Promise<void> {
  const conf = action in CONF_ACTIONS ? withServerDisabled(units.etcUpdateConf, CONF_ACTIONS[action as keyof typeof CONF_ACTIONS]) : null;
  const cmd = conf === null ? NODE_ACTIONS[action as keyof typeof NODE_ACTIONS] : writeUpdateConf();
  const out = await pool.exec(target, cmd, { timeoutMs: COMMAND_TIMEOUT_MS, ...(conf === null ? {} : { stdin: conf }) });
  const failure = classifyExecResult(cmd, out, target.nodeName);
  if (failure) throw fromFlatcar(failure, target.nodeName);
}
