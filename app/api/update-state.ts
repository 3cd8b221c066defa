import type { UpdateOp } from './update-engine.ts';

/**
 * One word for where a node's OS update stands, the same in the GUI and the CLI: update_engine's state, unless
 * the pipeline holds the node, SSH failed, or update-engine is off.
 */
export const updateStateKeys = [
  'idle',
  'checking',
  'available',
  'downloading',
  'finalizing',
  'need-reboot',
  'in-pipeline',
  'error',
  'unreachable',
  'engine-off',
  'unknown',
  'not-flatcar',
] as const;
export type UpdateStateKey = (typeof updateStateKeys)[number];

export const updateStateOfOp: Record<UpdateOp, UpdateStateKey> = {
  UPDATE_STATUS_IDLE: 'idle',
  UPDATE_STATUS_CHECKING_FOR_UPDATE: 'checking',
  UPDATE_STATUS_UPDATE_AVAILABLE: 'available',
  UPDATE_STATUS_DOWNLOADING: 'downloading',
  UPDATE_STATUS_VERIFYING: 'finalizing',
  UPDATE_STATUS_FINALIZING: 'finalizing',
  UPDATE_STATUS_UPDATED_NEED_REBOOT: 'need-reboot',
  UPDATE_STATUS_REPORTING_ERROR_EVENT: 'error',
};

/** The English words (the GUI's English dictionary takes them from here; German translates them). */
export const updateStateWords: Record<UpdateStateKey, string> = {
  idle: 'Idle',
  checking: 'Checking for update',
  available: 'Update available',
  downloading: 'Downloading',
  finalizing: 'Finalizing',
  'need-reboot': 'Reboot needed',
  'in-pipeline': 'Cordon/drain/reboot',
  error: 'Failed',
  'engine-off': 'update-engine off',
  unreachable: 'Not reachable',
  unknown: 'Not read yet',
  'not-flatcar': 'Not Flatcar',
};
