import { z } from 'zod';
import { ClusterId } from './clusters.ts';
import { ApiErrorInfo } from './errors.ts';
import { NodeName } from './nodes.ts';
import { AttentionNote, BlockerCode, NoteParams, PreflightPlan, WaitingNote } from './notes.ts';
import { withoutDefaults } from './schema-fields.ts';

/** The steps of one node's update, in the order the pipeline runs them. */
export const pipelineSteps = [
  'preflight',
  'update',
  'lock',
  'cordon',
  'drain',
  'reboot',
  'verify',
  'uncordon',
  'health-gate',
  'settle',
  'release',
] as const;
export const PipelineStep = z.enum(pipelineSteps);
export type PipelineStep = z.infer<typeof PipelineStep>;

export const StepStatus = z.enum(['started', 'progress', 'succeeded', 'failed', 'skipped']);
export type StepStatus = z.infer<typeof StepStatus>;

const FactValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * The step messages the core words by code: the UI words `code` with `params` in its language (a message per
 * code in every dictionary); `message` stays the English text for the CLI, logs and a code the UI does not know.
 */
export const stepMessageCodes = [
  'preflight.started',
  'preflight.ready',
  'update.checking',
  'update.downloading',
  'update.exact',
  'update.stalled',
  'update.stalledDownloading',
  'update.sshWaiting',
  'update.sshFailing',
  'update.sshBack',
  'update.staged',
  'update.stagedUnnamed',
  'update.current',
  'update.pinnedCurrent',
  'update.locksmithdHeld',
  'update.serverLifted',
  'rollback.reading',
  'rollback.discarded',
  'rollback.prioritized',
  'reboot.readingSentinel',
  'reboot.required',
  'reboot.notRequired',
  'reboot.forced',
  'lock.waiting',
  'lock.held',
  'lock.updatedMeanwhile',
  'cordon.started',
  'cordon.done',
  'cordon.already',
  'drain.started',
  'drain.done',
  'drain.skipped',
  'drain.evicting',
  'drain.evictionRetry',
  'drain.evicted',
  'drain.deleted',
  'drain.gone',
  'drain.podBlocked',
  'reboot.started',
  'reboot.issued',
  'verify.waiting',
  'verify.newBoot',
  'verify.back',
  'uncordon.started',
  'uncordon.done',
  'uncordon.leftCordoned',
  'release.started',
  'release.done',
  'release.serverRestored',
  'settle.started',
  'settle.done',
  'healthGate.started',
  /** the node needs attention: `params.note` is its AttentionCode, the rest that note's params */
  'attention',
] as const;
export const StepMessageCode = z.enum(stepMessageCodes);
export type StepMessageCode = z.infer<typeof StepMessageCode>;
export const StepMessageParams = z.record(z.string(), FactValue);
export type StepMessageParams = z.infer<typeof StepMessageParams>;

export const StepEvent = z.object({
  runId: z.string(),
  cluster: ClusterId,
  node: NodeName,
  step: PipelineStep,
  status: StepStatus,
  at: z.string(),
  message: z.string(),
  code: StepMessageCode.nullable().default(null),
  params: StepMessageParams.default({}),
  detail: z.record(z.string(), FactValue).default({}),
  durationMs: z.number().nonnegative().nullable().default(null),
  error: ApiErrorInfo.nullable().default(null),
});
export type StepEvent = z.infer<typeof StepEvent>;

/** One line of the terminal pane: exactly what ran over SSH and what came back. */
export const CommandEvent = z.object({
  runId: z.string().nullable(),
  cluster: ClusterId,
  node: NodeName,
  commandId: z.string(),
  command: z.string(),
  stream: z.enum(['command', 'stdout', 'stderr', 'exit']),
  data: z.string(),
  at: z.string(),
});
export type CommandEvent = z.infer<typeof CommandEvent>;

export const PodAction = z.enum(['evict', 'skip-daemonset', 'skip-mirror', 'skip-finished', 'delete-emptydir', 'delete-unmanaged']);

export const PodPlan = z.object({
  namespace: z.string(),
  name: z.string(),
  action: PodAction,
  reason: z.string(),
});
export type PodPlan = z.infer<typeof PodPlan>;

export const Blocker = z.object({
  kind: z.enum([
    'pdb-zero',
    'multi-pdb',
    'unmanaged-pod',
    'emptydir-pod',
    'finalizer',
    'unhealthy-pdb',
    'fluo-busy',
    'flatdeck-busy',
    'not-flatcar',
    'ssh',
    'sudo',
    'other',
  ]),
  /** Errors stop the run before anything changes; warnings are shown and the run goes on. */
  severity: z.enum(['error', 'warning']).default('error'),
  message: z.string(),
  pod: z.string().nullable().default(null),
  pdb: z.string().nullable().default(null),
  /** A blocker about the node rather than a pod: the UI words it from this code and `params`. */
  code: BlockerCode.optional(),
  params: NoteParams.optional(),
});
export type Blocker = z.infer<typeof Blocker>;

export const PreflightReport = z.object({
  cluster: ClusterId,
  node: NodeName,
  ok: z.boolean(),
  versionId: z.string().nullable(),
  bootId: z.string().nullable(),
  sudoOk: z.boolean(),
  updateEngineUnit: z.string().nullable(),
  locksmithdUnit: z.string().nullable(),
  pods: z.array(PodPlan),
  blockers: z.array(Blocker),
  errors: z.array(ApiErrorInfo),
  /** What the update will do about what pre-flight found (locksmithd held, SERVER=disabled lifted), in words. */
  notes: z.array(z.string()).default([]),
  /** The same, each as a code + params the UI words in its language. */
  plans: z.array(PreflightPlan).default([]),
});
export type PreflightReport = z.infer<typeof PreflightReport>;

export const RebootWindow = z.object({
  days: z.array(z.enum(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'])).min(1),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  lengthMinutes: z.number().int().min(1).max(7 * 24 * 60),
  timeZone: z.string().min(1),
});
export type RebootWindow = z.infer<typeof RebootWindow>;

export const HealthGate = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ssh'), command: z.string().min(1), timeoutSeconds: z.number().int().positive().default(60) }),
  z.object({
    kind: z.literal('job'),
    namespace: z.string().min(1),
    template: z.record(z.string(), z.unknown()),
    timeoutSeconds: z.number().int().positive().default(300),
  }),
]);
export type HealthGate = z.infer<typeof HealthGate>;

export const UpdateOptions = z.object({
  drainTimeoutSeconds: z.number().int().positive().default(600),
  onDrainTimeout: z.enum(['stop', 'skip', 'force']).default('stop'),
  emptyDirPolicy: z.enum(['refuse', 'delete']).default('refuse'),
  unmanagedPodPolicy: z.enum(['refuse', 'delete']).default('refuse'),
  restoreUpdateEngine: z.enum(['restore', 'leave-enabled']).default('restore'),
  /**
   * A run that stops after update_engine staged the new version (skip, failure, cancel before the reboot):
   * `keep` (default) leaves it staged and says so on the node ("boots V at its next reboot"), with update-engine
   * running so that boot is marked good; `discard` makes the booted version boot next (flatcar-setgoodroot,
   * then -reset_status) and puts update-engine back. Never: the new version once and the old one after.
   */
  stagedUpdateOnStop: z.enum(['keep', 'discard']).default('keep'),
  settleSeconds: z.number().int().nonnegative().default(30),
  waitForDaemonSets: z.boolean().default(true),
  /** Pods terminating longer than this are not waited for (kubectl --skip-wait-for-delete-timeout); null = always wait. */
  skipDeletedAfterSeconds: z.number().int().positive().nullable().default(null),
  /** From `systemctl reboot` until the node is back on the new version, Ready, with its DaemonSet pods Ready. */
  rebootTimeoutSeconds: z.number().int().positive().default(900),
  /** From `-check_for_update` until UPDATED_NEED_REBOOT. */
  updateTimeoutSeconds: z.number().int().positive().default(3600),
  /** update_engine showing no progress (state or percentage) for this long is a stalled download: give up. */
  downloadTimeoutSeconds: z.number().int().positive().default(300),
  /**
   * Nodes the operator explicitly accepts as out of service for this run (e.g. a node known to be down for
   * repair): they no longer hold back this run's reboots. Everyone else's needs-attention nodes still do.
   */
  outOfServiceOk: z.array(NodeName).default([]),
  /** update-engine marks a new boot good ~45 s after it starts; re-masking earlier would make the next boot roll back. */
  restoreAfterBootSeconds: z.number().int().nonnegative().default(60),
  /** The cluster Lease: others may take it over after this long without an observed renewal. */
  leaseDurationSeconds: z.number().int().min(2).max(3600).default(15),
});
export type UpdateOptions = z.infer<typeof UpdateOptions>;

/** What a caller sets for one run; a field it leaves out comes from Settings (`updateOptionsFrom`). */
export const UpdateOverrides = z.object(withoutDefaults(UpdateOptions.shape));
export type UpdateOverrides = z.infer<typeof UpdateOverrides>;

const rolloutFields = {
  selection: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('nodes'), nodes: z.array(NodeName).min(1) }),
    z.object({ kind: z.literal('all-flatcar') }),
    z.object({ kind: z.literal('machine-deployment'), name: z.string().min(1) }),
  ]),
  /** by-zone: zone after zone (failureDomainLabel); by-machine-deployment: one MachineDeployment after the other */
  order: z.enum(['as-given', 'name', 'oldest-version-first', 'by-zone', 'by-machine-deployment']).default('as-given'),
  /** The first node alone (through its health gate, if any) before the others start, whatever K is. */
  canary: z.boolean().default(false),
  maxParallelDownloads: z.number().int().min(1).max(50).default(3),
  /** K: at most this many nodes out of service at once, never two in one failure domain (docs/safety.md). */
  maxUnavailable: z.number().int().min(1).max(50).default(1),
  /** The Node label whose value is a node's failure domain; a node without it is a domain of its own. */
  failureDomainLabel: z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'a Kubernetes label key').default('topology.kubernetes.io/zone'),
  rebootWindow: RebootWindow.nullable().default(null),
  healthGate: HealthGate.nullable().default(null),
  stopOnFailure: z.boolean().default(true),
  /** Update to exactly this release (flatcar-update --to-version) instead of each channel's newest; null: the newest. */
  toVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'a Flatcar version like 4459.2.1').nullable().default(null),
};
export const RolloutOptions = UpdateOptions.extend(rolloutFields);
export type RolloutOptions = z.infer<typeof RolloutOptions>;
/** A rollout as a caller asks for it: the update options it leaves out come from Settings. */
export const RolloutRequest = UpdateOverrides.extend(rolloutFields);
export type RolloutRequest = z.infer<typeof RolloutRequest>;

export const NodePhase = z.enum(['waiting', 'downloading', 'ready-to-reboot', 'active', 'done', 'current', 'failed', 'needs-attention', 'skipped']);

export const RolloutNodeState = z.object({
  node: NodeName,
  phase: NodePhase,
  step: PipelineStep.nullable(),
  fromVersion: z.string().nullable(),
  toVersion: z.string().nullable(),
  downloadProgress: z.number().min(0).max(1).nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  etaSeconds: z.number().nonnegative().nullable(),
  error: ApiErrorInfo.nullable(),
  /** What the operator must still do on this node: a cleanup that failed, or a decision only they can make (English). */
  attention: z.array(z.string()).default([]),
  /** The same, each as a code and parameters the UI words in its language. */
  notes: z.array(AttentionNote).default([]),
});
export type RolloutNodeState = z.infer<typeof RolloutNodeState>;

export const RolloutState = z.object({
  runId: z.string(),
  cluster: ClusterId,
  kind: z.enum(['single', 'rollout']),
  status: z.enum(['pending', 'running', 'paused', 'waiting-for-window', 'waiting-for-lock', 'cancelling', 'cancelled', 'failed', 'succeeded']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  etaSeconds: z.number().nonnegative().nullable(),
  nodes: z.array(RolloutNodeState),
  error: ApiErrorInfo.nullable(),
  /** What the run is waiting for right now (the lock holder, a FLUO node, the window), for the operator. */
  waitingFor: z.string().nullable().default(null),
  /** The same as a code + params, where the UI can word it (else it shows `waitingFor`). */
  waiting: WaitingNote.nullable().default(null),
});
export type RolloutState = z.infer<typeof RolloutState>;

/** A run another instance (or a crashed one) left behind, found from the journal or node annotations. */
export const UnfinishedRun = z.object({
  runId: z.string(),
  cluster: ClusterId,
  instance: z.string(),
  ours: z.boolean(),
  node: NodeName,
  step: z.string(),
  since: z.string(),
  cordonedByUs: z.boolean(),
  /** Another instance's run counts as abandoned only once its Lease expired (or it holds none). */
  leaseExpired: z.boolean().default(true),
  /** While its Lease is live: seconds until it expires unless its holder renews it (a countdown for `resume`). */
  leaseExpiresInSeconds: z.number().nullable().default(null),
});
export type UnfinishedRun = z.infer<typeof UnfinishedRun>;

export const pipelineMethods = {
  'nodes.preflight': { params: z.object({ cluster: ClusterId, node: NodeName, options: UpdateOverrides.default({}) }), result: PreflightReport },
  'pipeline.updateNode': {
    params: z.object({ cluster: ClusterId, node: NodeName, options: UpdateOverrides.default({}), toVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'a Flatcar version like 4459.2.1').optional() }),
    result: z.object({ runId: z.string() }),
  },
  'rollout.start': { params: z.object({ cluster: ClusterId, options: RolloutRequest }), result: z.object({ runId: z.string() }) },
  'rollout.pause': { params: z.object({ runId: z.string() }), result: RolloutState },
  'rollout.resume': { params: z.object({ runId: z.string() }), result: RolloutState },
  'rollout.cancel': { params: z.object({ runId: z.string() }), result: RolloutState },
  'rollout.list': { params: z.object({ cluster: ClusterId }), result: z.array(RolloutState) },
  'runs.unfinished': { params: z.object({ cluster: ClusterId }), result: z.array(UnfinishedRun) },
  'runs.resume': { params: z.object({ cluster: ClusterId, runId: z.string(), options: UpdateOverrides.default({}) }), result: z.object({ runId: z.string() }) },
  'runs.handBack': { params: z.object({ cluster: ClusterId, runId: z.string() }), result: z.object({ handedBack: z.array(NodeName) }) },
} as const;
