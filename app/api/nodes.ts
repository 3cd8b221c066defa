import { z } from 'zod';
import { ClusterId } from './clusters.ts';
import { UpdateEngineStatus } from './update-engine.ts';

export const NodeName = z.string().min(1).max(253);

export const Distribution = z.enum(['flatcar', 'ubuntu', 'other']);
export type Distribution = z.infer<typeof Distribution>;

export const Taint = z.object({ key: z.string(), value: z.string().optional(), effect: z.string() });

/** What FLUO's agent/operator wrote on the node (flatcar-linux-update.v1.flatcar-linux.net/*). */
export const FluoNodeState = z.object({
  status: z.string().nullable(),
  newVersion: z.string().nullable(),
  lastCheckedTime: z.string().nullable(),
  rebootNeeded: z.boolean(),
  rebootOk: z.boolean(),
  rebootInProgress: z.boolean(),
  rebootPaused: z.boolean(),
  beforeReboot: z.boolean(),
  afterReboot: z.boolean(),
  /**
   * Where FLUO is with the node, as update_engine's CURRENT_OP without its prefix (IDLE, DOWNLOADING,
   * UPDATED_NEED_REBOOT, …) or REBOOTING / REBOOTED; unlike `status`, never a stale NEED_REBOOT after the reboot.
   */
  phase: z.string().nullable(),
  /** The flatdeck instance that paused FLUO's reboots on this node (flatdeck.io/fluo-held-by), if one did. */
  heldBy: z.string().nullable(),
});
export type FluoNodeState = z.infer<typeof FluoNodeState>;

/** flatdeck's own crash-safety mirror on the node (flatdeck.io/* annotations). */
export const FlatdeckNodeMark = z.object({
  instance: z.string(),
  step: z.string(),
  since: z.string(),
  cordonedByUs: z.boolean(),
  /** Why the node needs the operator (a run stopped on it), or null while a run is working on it. */
  attention: z.string().nullable(),
});
export type FlatdeckNodeMark = z.infer<typeof FlatdeckNodeMark>;

export const NodeSummary = z.object({
  name: NodeName,
  roles: z.array(z.string()),
  addresses: z.object({
    internalIP: z.string().nullable(),
    externalIP: z.string().nullable(),
    hostname: z.string().nullable(),
  }),
  osImage: z.string(),
  distribution: Distribution,
  flatcarVersion: z.string().nullable(),
  channel: z.enum(['alpha', 'beta', 'stable', 'lts']).nullable(),
  kernelVersion: z.string(),
  kubeletVersion: z.string(),
  ready: z.enum(['True', 'False', 'Unknown']),
  lastHeartbeat: z.string().nullable(),
  unschedulable: z.boolean(),
  taints: z.array(Taint),
  bootID: z.string(),
  fluo: FluoNodeState.nullable(),
  flatdeck: FlatdeckNodeMark.nullable(),
  /**
   * The version the node boots at its next reboot, planned or not: a run stopped after update_engine staged it
   * (flatdeck.io/staged-version, kept by a hand-back). Null once the node runs it, or when nothing is staged.
   */
  stagedVersion: z.string().nullable(),
  machineDeployment: z.string().nullable(),
  createdAt: z.string().nullable(),
});
export type NodeSummary = z.infer<typeof NodeSummary>;

/**
 * How systemd starts a unit, in the API's words: `vendor-enabled` is what `systemctl is-enabled` prints as
 * `disabled` for Flatcar's update-engine and locksmithd, which the image itself starts at every boot;
 * `masked-runtime` is a mask that ends at the next boot.
 */
export const UnitFileWord = z.enum(['enabled', 'vendor-enabled', 'masked', 'masked-runtime', 'static', 'unknown']);

/** Live per-node state read over SSH; absent until flatdeck has asked the node. */
export const NodeLiveState = z.object({
  node: NodeName,
  at: z.string(),
  updateEngine: UpdateEngineStatus.nullable(),
  updateEngineUnit: UnitFileWord.nullable(),
  versionId: z.string().nullable(),
  /**
   * The channel update_engine asks for: GROUP from /etc/flatcar/update.conf, else from the image's
   * /usr/share/flatcar/update.conf, else its default `stable`. It can differ from the running release's channel
   * (after a channel change the node stays until that channel offers a newer release). Absent: not read.
   */
  group: z.string().nullable().optional(),
  /** An Ubuntu node's /var/run/reboot-required and the packages that asked for it; absent on other nodes. */
  rebootRequired: z.object({ required: z.boolean(), packages: z.array(z.string()) }).nullable().optional(),
  error: z.string().nullable(),
});
export type NodeLiveState = z.infer<typeof NodeLiveState>;

export const NodesEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), cluster: ClusterId, nodes: z.array(NodeSummary) }),
  z.object({ type: z.literal('upsert'), cluster: ClusterId, node: NodeSummary }),
  z.object({ type: z.literal('delete'), cluster: ClusterId, name: NodeName }),
  z.object({ type: z.literal('live'), cluster: ClusterId, state: NodeLiveState }),
]);
export type NodesEvent = z.infer<typeof NodesEvent>;
