import type { Distribution, FlatdeckNodeMark, NodeSummary } from '../api/nodes.ts';
import { tryParse } from '../flatcar/errors.ts';
import { parseFlatcarVersion, type FlatcarChannel } from '../flatcar/version.ts';
import { fluoVersionLabel, readFluoState } from './fluo.ts';
import { markKeys } from './node-keys.ts';

/**
 * The Node object as the API server sends it (JSON). Only what flatdeck reads; timestamps may arrive as strings
 * (raw JSON) or Dates (client-node's deserializer), so both are accepted.
 */
export interface NodeObject {
  metadata?: {
    name?: string;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { unschedulable?: boolean; taints?: Array<{ key?: string; value?: string; effect?: string }> };
  status?: {
    addresses?: Array<{ type?: string; address?: string }>;
    conditions?: Array<{ type?: string; status?: string; lastHeartbeatTime?: string | Date }>;
    nodeInfo?: { osImage?: string; kernelVersion?: string; kubeletVersion?: string; bootID?: string };
  };
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_ROLE_LABEL = 'kubernetes.io/role';

export interface OsIdentity {
  distribution: Distribution;
  flatcarVersion: string | null;
  channel: FlatcarChannel | null;
}

const FLATCAR_IMAGE = /flatcar container linux/i;
const VERSION_IN_IMAGE = /(?:^|\s)(\d+\.\d+\.\d+(?:\+[0-9A-Za-z.-]+)?)(?:\s|$)/;
const LTS_CODENAME = /\(LTS \d{4}\)/;

/**
 * osImage is os-release's PRETTY_NAME: "Flatcar Container Linux by Kinvolk 3033.2.0 (Oklo)" on older releases,
 * "… 4757.2.0" on current ones, "… 3510.3.5 (LTS 2023)" on LTS. The channel follows the version's MINOR; the
 * LTS codename settles it when the number does not. `fallbackVersion` is FLUO's `version` label.
 */
export function identifyOs(osImage: string, fallbackVersion: string | null = null): OsIdentity {
  if (!FLATCAR_IMAGE.test(osImage)) {
    return { distribution: /^ubuntu\b/i.test(osImage.trim()) ? 'ubuntu' : 'other', flatcarVersion: null, channel: null };
  }
  const text = VERSION_IN_IMAGE.exec(osImage)?.[1] ?? fallbackVersion;
  const parsed = text === null ? null : tryParse(() => parseFlatcarVersion(text));
  const version = parsed?.ok ? parsed.value : null;
  const channel = version?.channel ?? (LTS_CODENAME.test(osImage) ? 'lts' : null);
  return { distribution: 'flatcar', flatcarVersion: version?.text ?? null, channel };
}

export function rolesOf(labels: Readonly<Record<string, string>> | undefined): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith(ROLE_PREFIX) && key.length > ROLE_PREFIX.length) roles.add(key.slice(ROLE_PREFIX.length));
    else if (key === LEGACY_ROLE_LABEL && value) roles.add(value);
  }
  return [...roles].sort();
}

function isoTime(value: string | Date | undefined): string | null {
  if (value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return value;
}

function readyOf(status: string | undefined): NodeSummary['ready'] {
  return status === 'True' || status === 'False' ? status : 'Unknown';
}

export function readFlatdeckMark(annotations: Readonly<Record<string, string>> | undefined): FlatdeckNodeMark | null {
  const a = annotations ?? {};
  const instance = a[markKeys.instance];
  const step = a[markKeys.step];
  if (!instance || !step) return null;
  return { instance, step, since: a[markKeys.since] ?? '', cordonedByUs: a[markKeys.cordonedByUs] === 'true', attention: a[markKeys.attention] || null };
}

/** The staged version on record, unless the node already booted it (an unplanned reboot activated it). */
export function readStagedVersion(annotations: Readonly<Record<string, string>> | undefined, bootedVersion: string | null): string | null {
  const staged = annotations?.[markKeys.stagedVersion];
  return staged && staged !== bootedVersion ? staged : null;
}

/** One Node object → the API's NodeSummary. Pure; called only for nodes that changed. */
export function summarizeNode(node: NodeObject, machineDeployment: string | null = null): NodeSummary {
  const meta = node.metadata ?? {};
  const info = node.status?.nodeInfo ?? {};
  const osImage = info.osImage ?? '';
  const addresses = node.status?.addresses ?? [];
  const address = (type: string): string | null => addresses.find((a) => a.type === type)?.address ?? null;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const os = identifyOs(osImage, fluoVersionLabel(meta.labels));
  return {
    name: meta.name ?? '',
    roles: rolesOf(meta.labels),
    addresses: { internalIP: address('InternalIP'), externalIP: address('ExternalIP'), hostname: address('Hostname') },
    osImage,
    distribution: os.distribution,
    flatcarVersion: os.flatcarVersion,
    channel: os.channel,
    kernelVersion: info.kernelVersion ?? '',
    kubeletVersion: info.kubeletVersion ?? '',
    ready: readyOf(ready?.status),
    lastHeartbeat: isoTime(ready?.lastHeartbeatTime),
    unschedulable: node.spec?.unschedulable === true,
    taints: (node.spec?.taints ?? []).map((t) => ({
      key: t.key ?? '',
      ...(t.value === undefined ? {} : { value: t.value }),
      effect: t.effect ?? '',
    })),
    bootID: info.bootID ?? '',
    fluo: readFluoState(meta.annotations, meta.labels),
    flatdeck: readFlatdeckMark(meta.annotations),
    stagedVersion: readStagedVersion(meta.annotations, os.flatcarVersion),
    machineDeployment,
    createdAt: isoTime(meta.creationTimestamp),
  };
}
