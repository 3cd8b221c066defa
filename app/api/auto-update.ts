import { z } from 'zod';
import { ClusterId } from './clusters.ts';
import { ApiErrorInfo } from './errors.ts';
import { FluoNodeState, NodeName, UnitFileWord } from './nodes.ts';
import { PlanNote, StatusWarning } from './notes.ts';
import { RebootWindow } from './pipeline.ts';

export const FluoInstall = z.object({
  present: z.boolean(),
  namespace: z.string().nullable(),
  version: z.string().nullable(),
  managedBy: z.enum(['flatdeck', 'kubermatic', 'other']).nullable(),
  agentReady: z.number().int().nonnegative(),
  agentDesired: z.number().int().nonnegative(),
});

export const NodeAutoUpdateState = z.object({
  node: NodeName,
  updateEngine: UnitFileWord,
  updateEngineActive: z.boolean().nullable(),
  locksmithd: UnitFileWord,
  group: z.string().nullable(),
  server: z.string().nullable(),
  reachable: z.boolean(),
  error: z.string().nullable(),
  locksmithdActive: z.boolean().nullable().default(null),
  /** FLUO's annotations on the node (status, new-version, last-checked-time, reboot-needed, reboot-paused, …). */
  fluo: FluoNodeState.nullable().default(null),
});

export const MachineDeploymentSummary = z.object({
  name: z.string(),
  namespace: z.string(),
  operatingSystem: z.string(),
  disableAutoUpdate: z.boolean(),
  replicas: z.number().int().nonnegative(),
  updatedReplicas: z.number().int().nonnegative(),
  readyReplicas: z.number().int().nonnegative(),
  nodes: z.array(NodeName),
});
export type MachineDeploymentSummary = z.infer<typeof MachineDeploymentSummary>;

/** A way out flatdeck offers: turn auto-update on (FLUO drains before each reboot) or off. */
export const AutoUpdateRemedy = z.object({ enable: z.boolean(), description: z.string() });

/** Nodes that reboot by themselves, without a drain, as soon as update_engine stages an update (locksmithd). */
export const RebootsWithoutDrain = z.object({
  nodes: z.array(NodeName),
  /** The FLUO version the "on" remedy installs (the UI words the remedies from `enable` and this). */
  fluoVersion: z.string().default(''),
  message: z.string(),
  remedies: z.array(AutoUpdateRemedy),
});
export type RebootsWithoutDrain = z.infer<typeof RebootsWithoutDrain>;

export const AutoUpdateStatus = z.object({
  cluster: ClusterId,
  enabled: z.enum(['on', 'off', 'mixed']),
  fluo: FluoInstall,
  nodes: z.array(NodeAutoUpdateState),
  machineDeployments: z.array(MachineDeploymentSummary),
  /** In English (the CLI's); `notes` has the same, each as a code + params the UI words in its language. */
  warnings: z.array(z.string()),
  notes: z.array(StatusWarning).default([]),
  rebootsWithoutDrain: RebootsWithoutDrain.nullable().default(null),
});
export type AutoUpdateStatus = z.infer<typeof AutoUpdateStatus>;

/** What a plan line does, as a code the UI words in its language with `params`; `action` is the English text. */
export const planChangeCodes = ['fluo-apply', 'fluo-apply-window', 'fluo-remove', 'pause-reboots', 'unpause-reboots', 'node-action', 'node-unreachable'] as const;
export const PlanChange = z.object({
  target: z.string(),
  node: NodeName.nullable(),
  action: z.string(),
  code: z.enum(planChangeCodes).nullable().default(null),
  params: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
});
export type PlanChange = z.infer<typeof PlanChange>;

export const AutoUpdatePlan = z.object({
  planId: z.string(),
  cluster: ClusterId,
  enable: z.boolean(),
  changes: z.array(PlanChange),
  /** In English (the CLI's); `planNotes` has the same as codes + params for the UI. */
  notes: z.array(z.string()),
  planNotes: z.array(PlanNote).default([]),
});
export type AutoUpdatePlan = z.infer<typeof AutoUpdatePlan>;

export const AutoUpdateReport = z.object({
  planId: z.string(),
  results: z.array(z.object({ target: z.string(), node: NodeName.nullable(), ok: z.boolean(), error: ApiErrorInfo.nullable() })),
  unreachable: z.array(NodeName),
});

const AutoUpdateToggleOptions = z.object({
  /** FLUO's reboot window; FLUO can only express one day or every day, in UTC. */
  rebootWindow: RebootWindow.nullable().default(null),
  disableMode: z.enum(['mask', 'server-disabled']).default('mask'),
});

export const autoUpdateMethods = {
  'autoUpdate.status': { params: z.object({ cluster: ClusterId }), result: AutoUpdateStatus },
  'autoUpdate.plan': { params: z.object({ cluster: ClusterId, enable: z.boolean(), options: AutoUpdateToggleOptions.default(AutoUpdateToggleOptions.parse({})) }), result: AutoUpdatePlan },
  'autoUpdate.apply': { params: z.object({ cluster: ClusterId, planId: z.string() }), result: AutoUpdateReport },
  'md.list': { params: z.object({ cluster: ClusterId }), result: z.array(MachineDeploymentSummary) },
  'md.setAutoUpdate': {
    params: z.object({ cluster: ClusterId, namespace: z.string(), name: z.string(), enabled: z.boolean(), confirmReplacesNodes: z.number().int().nonnegative() }),
    result: MachineDeploymentSummary,
  },
  'md.migrateFlatcar': {
    params: z.object({ cluster: ClusterId, namespace: z.string(), name: z.string(), confirmReplacesNodes: z.number().int().nonnegative() }),
    result: MachineDeploymentSummary,
  },
} as const;
