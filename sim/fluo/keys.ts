// FLUO's node labels and annotations, exactly as flatcar-linux-update-operator v0.10.0-rc2 names them
// (pkg/constants/constants.go).
export const FLUO_PREFIX = 'flatcar-linux-update.v1.flatcar-linux.net/';

export const TRUE = 'true';
export const FALSE = 'false';

export const fluoKey = {
  rebootNeeded: `${FLUO_PREFIX}reboot-needed`,
  rebootInProgress: `${FLUO_PREFIX}reboot-in-progress`,
  rebootOk: `${FLUO_PREFIX}reboot-ok`,
  rebootPaused: `${FLUO_PREFIX}reboot-paused`,
  status: `${FLUO_PREFIX}status`,
  lastCheckedTime: `${FLUO_PREFIX}last-checked-time`,
  newVersion: `${FLUO_PREFIX}new-version`,
  agentMadeUnschedulable: `${FLUO_PREFIX}agent-made-unschedulable`,
  beforeReboot: `${FLUO_PREFIX}before-reboot`,
  afterReboot: `${FLUO_PREFIX}after-reboot`,
  id: `${FLUO_PREFIX}id`,
  group: `${FLUO_PREFIX}group`,
  version: `${FLUO_PREFIX}version`,
} as const;
