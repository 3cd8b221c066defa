import { z } from 'zod';

/** The UPDATE_STATUS_* operations Flatcar's update_engine actually emits (VERIFYING is never set, but parse it). */
export const updateOps = [
  'UPDATE_STATUS_IDLE',
  'UPDATE_STATUS_CHECKING_FOR_UPDATE',
  'UPDATE_STATUS_UPDATE_AVAILABLE',
  'UPDATE_STATUS_DOWNLOADING',
  'UPDATE_STATUS_VERIFYING',
  'UPDATE_STATUS_FINALIZING',
  'UPDATE_STATUS_UPDATED_NEED_REBOOT',
  'UPDATE_STATUS_REPORTING_ERROR_EVENT',
] as const;
export const UpdateOp = z.enum(updateOps);
export type UpdateOp = z.infer<typeof UpdateOp>;

export const UpdateEngineStatus = z.object({
  lastCheckedTime: z.number().int().nonnegative(),
  progress: z.number().min(0).max(1),
  currentOp: UpdateOp,
  newVersion: z.string(),
  newSize: z.number().int().nonnegative(),
});
export type UpdateEngineStatus = z.infer<typeof UpdateEngineStatus>;
