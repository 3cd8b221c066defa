import type { z } from 'zod';
import type { NodeAutoUpdateState } from '../api/auto-update.ts';
import type { FlatcarNode, UnitAction } from '../flatcar/node.ts';
import { summarizeUnitFile, type FlatcarUnit } from '../flatcar/systemctl.ts';
import { parseOsRelease } from '../flatcar/os-release.ts';
import { effectiveUpdateConf, parseUpdateConf, serverSendsRequests, updateEngineStripsQuotes, withServerDisabled } from '../flatcar/update-conf.ts';

type UnitWord = z.infer<typeof NodeAutoUpdateState>['updateEngine'];

/** The auto-update relevant facts of one node, read over SSH. */
export interface NodeUnits {
  updateEngine: UnitWord;
  updateEngineActive: boolean;
  locksmithd: UnitWord;
  locksmithdActive: boolean;
  group: string | null;
  server: string | null;
  /** /etc/flatcar/update.conf sets SERVER to what update_engine cannot send to (`disabled`, flatdeck's server-disabled mode). */
  serverDisabledInEtc: boolean;
  /** The text of /etc/flatcar/update.conf, null when it does not exist (rewritten with only SERVER changed). */
  etcUpdateConf: string | null;
  /** os-release values in double quotes (current Flatcar): FLUO v0.9.0's agent crash-loops on these. */
  quotedOsRelease: boolean;
}

async function unitState(node: FlatcarNode, unit: FlatcarUnit): Promise<[UnitWord, boolean]> {
  const { file, active } = await node.unitState(unit);
  return [summarizeUnitFile(file), active];
}

/** Reads one node; the commands share its one connection (the pool caps channels). Throws ApiError. */
export async function readNodeUnits(node: FlatcarNode): Promise<NodeUnits> {
  const [[updateEngine, updateEngineActive], [locksmithd, locksmithdActive], etc, usr, osRelease] = await Promise.all([
    unitState(node, 'update-engine.service'),
    unitState(node, 'locksmithd.service'),
    node.updateConf('etc'),
    node.updateConf('usr'),
    node.osRelease(),
  ]);
  // read as update_engine reads them: how it treats quotes depends on the release the node runs
  const stripQuotes = updateEngineStripsQuotes(parseOsRelease(osRelease).versionId);
  const etcConf = parseUpdateConf(etc ?? '', { stripQuotes });
  const conf = effectiveUpdateConf([etcConf, parseUpdateConf(usr ?? '', { stripQuotes })]);
  return {
    updateEngine,
    updateEngineActive,
    locksmithd,
    locksmithdActive,
    group: conf.group ?? null,
    server: conf.server ?? null,
    serverDisabledInEtc: !serverSendsRequests(etcConf.server),
    etcUpdateConf: etc,
    quotedOsRelease: /^(ID|VERSION|VERSION_ID)="/m.test(osRelease),
  };
}

export type DisableMode = 'mask' | 'server-disabled';

const unitAction = (action: UnitAction, unit: FlatcarUnit) => ({ unit, action });
export const NODE_ACTIONS = {
  'unmask update-engine': unitAction('unmask', 'update-engine.service'),
  'start update-engine': unitAction('start', 'update-engine.service'),
  'stop update-engine': unitAction('stop', 'update-engine.service'),
  'mask update-engine': unitAction('mask', 'update-engine.service'),
  'stop locksmithd': unitAction('stop', 'locksmithd.service'),
  'mask locksmithd': unitAction('mask', 'locksmithd.service'),
} as const;
/** update.conf edits: the whole file is written back through `tee` with only the SERVER line changed. */
const CONF_ACTIONS = { 'set SERVER=disabled': true, 'remove SERVER=disabled': false } as const;
export type NodeAction = keyof typeof NODE_ACTIONS | keyof typeof CONF_ACTIONS;

/**
 * What must run on a node to reach the wanted state, in order; empty when it is already there (idempotent).
 * On: update-engine unmasked and running, locksmithd stopped and masked (FLUO reboots, not locksmithd), no
 * SERVER=disabled. Off (mask): update-engine stopped and masked, and locksmithd too (with update-engine gone
 * it would fail and restart every 10 s). Off (server-disabled): SERVER=disabled with update-engine running, so
 * it still marks booted slots good (Flatcar's documented way). Nothing is ever `systemctl enable`d: the image
 * starts both units at boot through its own links, so an unmasked unit needs no /etc link of its own.
 */
export function nodeActions(units: NodeUnits, enable: boolean, mode: DisableMode): NodeAction[] {
  const actions: NodeAction[] = [];
  const holdLocksmithd = () => {
    if (units.locksmithdActive) actions.push('stop locksmithd');
    if (units.locksmithd !== 'masked') actions.push('mask locksmithd');
  };
  if (enable) {
    if (units.serverDisabledInEtc) actions.push('remove SERVER=disabled');
    if (units.updateEngine === 'masked') actions.push('unmask update-engine');
    if (!units.updateEngineActive) actions.push('start update-engine');
    holdLocksmithd();
    return actions;
  }
  if (mode === 'mask') {
    if (units.updateEngineActive) actions.push('stop update-engine');
    if (units.updateEngine !== 'masked') actions.push('mask update-engine');
    holdLocksmithd();
    return actions;
  }
  if (!units.serverDisabledInEtc) actions.push('set SERVER=disabled');
  if (units.updateEngine === 'masked') actions.push('unmask update-engine');
  if (!units.updateEngineActive) actions.push('start update-engine');
  return actions;
}

/** Runs one action; a non-zero exit becomes the classified error (sudo password, masked unit, …). */
export async function runNodeAction(node: FlatcarNode, action: NodeAction, units: NodeUnits): Promise<void> {
  if (action in CONF_ACTIONS) await node.writeUpdateConf(withServerDisabled(units.etcUpdateConf, CONF_ACTIONS[action as keyof typeof CONF_ACTIONS]));
  else {
    const { unit, action: verb } = NODE_ACTIONS[action as keyof typeof NODE_ACTIONS];
    await node.setUnit(unit, verb);
  }
}
