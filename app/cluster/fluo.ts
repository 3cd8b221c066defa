import type { FluoNodeState } from '../api/nodes.ts';

import { FLUO_PREFIX, flatdeckKeys, fluoKeys } from './node-keys.ts';

export { FLUO_PREFIX, fluoKeys };

type StringMap = Readonly<Record<string, string>> | undefined;

function hasFluoKey(map: StringMap): boolean {
  if (!map) return false;
  for (const key in map) if (key.startsWith(FLUO_PREFIX)) return true;
  return false;
}

const isTrue = (v: string | undefined): boolean => v === 'true';

/**
 * FLUO's view of the node, or null when neither its agent nor its operator has touched it.
 * `reboot-needed` is written as annotation and label; either being "true" counts.
 */
export function readFluoState(annotations: StringMap, labels: StringMap): FluoNodeState | null {
  if (!hasFluoKey(annotations) && !hasFluoKey(labels)) return null;
  const a = annotations ?? {};
  const l = labels ?? {};
  const state = {
    status: a[fluoKeys.status] ?? null,
    newVersion: a[fluoKeys.newVersion] ?? null,
    lastCheckedTime: a[fluoKeys.lastCheckedTime] ?? null,
    rebootNeeded: isTrue(a[fluoKeys.rebootNeeded]) || isTrue(l[fluoKeys.rebootNeeded]),
    rebootOk: isTrue(a[fluoKeys.rebootOk]),
    rebootInProgress: isTrue(a[fluoKeys.rebootInProgress]),
    rebootPaused: isTrue(a[fluoKeys.rebootPaused]),
    beforeReboot: isTrue(l[fluoKeys.beforeReboot]),
    afterReboot: isTrue(l[fluoKeys.afterReboot]),
  };
  return { ...state, phase: fluoStatusWord(state), heldBy: a[flatdeckKeys.fluoHeldBy] || null };
}

/** The Flatcar version FLUO's agent read from os-release (label `version`), when the node has one. */
export function fluoVersionLabel(labels: StringMap): string | null {
  return labels?.[fluoKeys.version] ?? null;
}

/**
 * FLUO's `-status` CURRENT_OP as a short word for tables: UPDATE_STATUS_UPDATED_NEED_REBOOT → UPDATED_NEED_REBOOT.
 * After the reboot FLUO's agent writes no status until the operator has cleared reboot-ok (pkg/agent/agent.go),
 * so until then the annotation still says NEED_REBOOT of a node already on the new version: that phase is REBOOTED.
 */
export function fluoStatusWord(state: Omit<FluoNodeState, 'phase' | 'heldBy'>): string | null {
  if (state.rebootInProgress) return 'REBOOTING';
  if (state.afterReboot || (state.rebootOk && !state.rebootNeeded)) return 'REBOOTED';
  if (!state.status) return state.rebootNeeded ? 'UPDATED_NEED_REBOOT' : null;
  return state.status.replace(/^UPDATE_STATUS_/, '');
}
