import { z } from 'zod';

/** The values a coded message is worded from. */
export const NoteParams = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type NoteParams = z.infer<typeof NoteParams>;

/**
 * What a node needs from the operator (RolloutNodeState.notes), as a code the UI words in its language with
 * `params`; `message` is the English text (the CLI's, and the UI's for a code it does not know).
 */
export const attentionCodes = [
  'staged.stopped',
  'staged.stoppedHeld',
  'staged.failed',
  'staged.failedHeld',
  'staged.skipped',
  'staged.skippedHeld',
  'stagedAfterStop',
  'updateEngineLeftRunning',
  'rebootCancelled',
  'rebootFailed',
  'drainTimeout',
  'drainBlocked',
  'otherMachine',
  'cleanup.locksmithd',
  'cleanup.server',
  'cleanup.recordStaged',
  'cleanup.discardStaged',
  'cleanup.updateEngine',
  'cleanup.markBootGood',
  'cleanup.fluoPause',
  'cleanup.clearMarks',
  'cleanup.uncordon',
  'cleanup.releaseLock',
] as const;
export const AttentionCode = z.enum(attentionCodes);
export type AttentionCode = z.infer<typeof AttentionCode>;

export const AttentionNote = z.object({ code: AttentionCode, params: NoteParams.default({}), message: z.string() });
export type AttentionNote = z.infer<typeof AttentionNote>;

/** Auto-update status warnings (AutoUpdateStatus.notes): code + params for the UI, `message` in English. */
export const statusWarningCodes = [
  'fluoMasked',
  'fluoAndLocksmithd',
  'fluoAgentsNotReady',
  'fluoQuotedOsRelease',
  'fluoHeldBy',
  'nodeUnreadable',
  'ubuntuMachineDeployment',
  'ubuntuNodes',
  'notConverged',
] as const;
export const StatusWarningCode = z.enum(statusWarningCodes);
export const StatusWarning = z.object({ code: StatusWarningCode, params: NoteParams.default({}), message: z.string() });
export type StatusWarning = z.infer<typeof StatusWarning>;

/** What an auto-update plan says beside its changes (AutoUpdatePlan.planNotes): code + params, and in English. */
export const planNoteCodes = ['fluoForeignInstalled', 'fluoForeignKept', 'unreachable', 'nothingToDo', 'rebootsFinish'] as const;
export const PlanNote = z.object({ code: z.enum(planNoteCodes), params: NoteParams.default({}), message: z.string() });
export type PlanNote = z.infer<typeof PlanNote>;

/** Why another node keeps a run at the cluster lock: one node's part of a lock wait (WaitingNote.parts). */
export const lockReasonCodes = ['fluoRebooting', 'nodeInStep', 'nodeHoldsSlot', 'holderHoldsSlot'] as const;
export const LockReason = z.object({ code: z.enum(lockReasonCodes), params: NoteParams.default({}) });
export type LockReason = z.infer<typeof LockReason>;

/**
 * What a run waits for (RolloutState.waiting), as a code + params; RolloutState.waitingFor is the English text.
 * A wait made of other nodes' reasons (`lockFull`, `lockSameDomain`) lists them in `parts`.
 */
export const waitingCodes = ['rebootWindow', 'nodeClaimed', ...lockReasonCodes, 'lockFull', 'lockSameDomain', 'leaseHeld', 'lockHeld', 'slotsHeld'] as const;
export const WaitingNote = z.object({ code: z.enum(waitingCodes), params: NoteParams.default({}), parts: z.array(LockReason).optional() });
export type WaitingNote = z.infer<typeof WaitingNote>;

/** Pre-flight blockers the UI words from a code (pod blockers it words by their kind, pod and PDB). */
export const blockerCodes = ['notFlatcar', 'notUbuntu', 'flatdeckBusy', 'fluoBusy', 'sudoPassword', 'sshFailed', 'sshReadFailed', 'otherMachine', 'nodeUnreadable', 'podsUnlisted'] as const;
export const BlockerCode = z.enum(blockerCodes);

/** What an update will do about what pre-flight found (PreflightReport.plans), as a code + params and in English. */
export const preflightPlanCodes = ['locksmithdHold', 'serverLift'] as const;
export const PreflightPlan = z.object({ code: z.enum(preflightPlanCodes), params: NoteParams.default({}), message: z.string() });
export type PreflightPlan = z.infer<typeof PreflightPlan>;
