/**
 * Every annotation and label key flatdeck reads or writes on Kubernetes objects, in one table. What FLUO and the
 * machine-controller write is theirs (their names follow their source); flatdeck's own keys live under flatdeck.io/.
 */

const FLATDECK = 'flatdeck.io/';

/** flatdeck's crash-safety mirror on the Node: everything another instance needs to resume or hand back a run. */
export const markKeys = {
  instance: `${FLATDECK}instance`,
  run: `${FLATDECK}run`,
  step: `${FLATDECK}step`,
  since: `${FLATDECK}since`,
  /** the claim's liveness: when its run last said it is alive, and how long that counts (its Lease duration) */
  renewed: `${FLATDECK}claim-renewed`,
  claimSeconds: `${FLATDECK}claim-lease-seconds`,
  cordonedByUs: `${FLATDECK}cordoned-by-us`,
  ueOriginal: `${FLATDECK}update-engine-original`,
  lsOriginal: `${FLATDECK}locksmithd-original`,
  serverLifted: `${FLATDECK}server-disabled-lifted`,
  fluoPausedBefore: `${FLATDECK}fluo-paused-before`,
  bootIdBefore: `${FLATDECK}boot-id-before`,
  fromVersion: `${FLATDECK}from-version`,
  toVersion: `${FLATDECK}to-version`,
  attention: `${FLATDECK}needs-attention`,
  /** the version update_engine staged for the node's next boot when a run stopped (kept by a hand-back) */
  stagedVersion: `${FLATDECK}staged-version`,
} as const;

/** flatdeck's other keys: which instance holds FLUO off a node, and the node a health-gate Job checks. */
export const flatdeckKeys = {
  fluoHeldBy: `${FLATDECK}fluo-held-by`,
  healthGateNode: `${FLATDECK}health-gate-node`,
  /** on a slot Lease of the cluster update lock: the node its holder has out of service, and its failure domain */
  slotNode: `${FLATDECK}slot-node`,
  slotDomain: `${FLATDECK}slot-domain`,
} as const;

/** FLUO's node label and annotation prefix (flatcar-linux-update-operator `pkg/constants`). */
export const FLUO_PREFIX = 'flatcar-linux-update.v1.flatcar-linux.net/';

export const fluoKeys = {
  status: `${FLUO_PREFIX}status`,
  newVersion: `${FLUO_PREFIX}new-version`,
  lastCheckedTime: `${FLUO_PREFIX}last-checked-time`,
  rebootNeeded: `${FLUO_PREFIX}reboot-needed`,
  rebootInProgress: `${FLUO_PREFIX}reboot-in-progress`,
  rebootOk: `${FLUO_PREFIX}reboot-ok`,
  rebootPaused: `${FLUO_PREFIX}reboot-paused`,
  agentMadeUnschedulable: `${FLUO_PREFIX}agent-made-unschedulable`,
  beforeReboot: `${FLUO_PREFIX}before-reboot`,
  afterReboot: `${FLUO_PREFIX}after-reboot`,
  id: `${FLUO_PREFIX}id`,
  version: `${FLUO_PREFIX}version`,
  group: `${FLUO_PREFIX}group`,
} as const;

/**
 * Kubermatic machine-controller links a Node to its Machine by the label `machine-controller/owned-by` = Machine
 * UID; older cluster-api v1alpha1 controllers annotate the node with `cluster.k8s.io/machine` = "namespace/name".
 */
export const machineKeys = {
  ownerLabel: 'machine-controller/owned-by',
  machineAnnotation: 'cluster.k8s.io/machine',
} as const;
