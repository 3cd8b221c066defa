import type { V1Node } from '@kubernetes/client-node';
import type { NodeApi } from './node-api.ts';
import { fluoKeys, markKeys } from './node-keys.ts';

/**
 * Reading and writing flatdeck's crash-safety mirror on the Node (flatdeck.io/*), and the FLUO annotations it reads
 * and, for reboot-paused, sets. The keys are in node-keys.ts.
 */
export { fluoKeys, markKeys };

export interface NodeMark {
  instance: string;
  run: string;
  step: string;
  since: string;
  /** ISO time the owning run last renewed its claim; null on marks written without a liveness signal. */
  renewed: string | null;
  /** seconds after `renewed` the claim counts as abandoned, as a number string */
  claimSeconds: string | null;
  cordonedByUs: boolean;
  /** `<unit file state>,<active|inactive>` as found before flatdeck touched update-engine; null = untouched. */
  ueOriginal: string | null;
  /** locksmithd as found before flatdeck held it for the update (same form); null = untouched. */
  lsOriginal: string | null;
  /** flatdeck commented out SERVER=disabled in /etc/flatcar/update.conf for the run. */
  serverLifted: boolean;
  /** FLUO reboot-paused value before flatdeck set it: `absent`, or the old value; null = untouched. */
  fluoPausedBefore: string | null;
  bootIdBefore: string | null;
  fromVersion: string | null;
  toVersion: string | null;
  attention: string | null;
  stagedVersion: string | null;
}

export function readMark(node: V1Node): NodeMark | null {
  const a = node.metadata?.annotations ?? {};
  const instance = a[markKeys.instance];
  if (!instance) return null;
  return {
    instance,
    run: a[markKeys.run] ?? '',
    step: a[markKeys.step] ?? '',
    since: a[markKeys.since] ?? '',
    renewed: a[markKeys.renewed] ?? null,
    claimSeconds: a[markKeys.claimSeconds] ?? null,
    cordonedByUs: a[markKeys.cordonedByUs] === 'true',
    ueOriginal: a[markKeys.ueOriginal] ?? null,
    lsOriginal: a[markKeys.lsOriginal] ?? null,
    serverLifted: a[markKeys.serverLifted] === 'true',
    fluoPausedBefore: a[markKeys.fluoPausedBefore] ?? null,
    bootIdBefore: a[markKeys.bootIdBefore] ?? null,
    fromVersion: a[markKeys.fromVersion] ?? null,
    toVersion: a[markKeys.toVersion] ?? null,
    attention: a[markKeys.attention] ?? null,
    stagedVersion: a[markKeys.stagedVersion] ?? null,
  };
}

/** The annotation part of a merge patch that writes `mark` (null values delete keys). */
export function markPatch(mark: Partial<NodeMark>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [field, key] of Object.entries(markKeys) as Array<[keyof NodeMark, string]>) {
    if (!(field in mark)) continue;
    const v = mark[field];
    out[key] = v === null || v === undefined ? null : typeof v === 'boolean' ? String(v) : v;
  }
  return out;
}

export const clearMarkPatch = (): Record<string, null> => Object.fromEntries(Object.values(markKeys).map((k) => [k, null]));

export async function writeMark(api: NodeApi, node: string, mark: Partial<NodeMark>): Promise<void> {
  await api.mergePatchNode(node, { metadata: { annotations: markPatch(mark) } });
}

export async function clearMark(api: NodeApi, node: string): Promise<void> {
  await api.mergePatchNode(node, { metadata: { annotations: clearMarkPatch() } });
}

const isTrue = (v: string | undefined) => v === 'true';

/** Why FLUO has this node selected, out of service or not yet handed back (flatdeck must wait), or null. */
export function fluoBusyReason(node: V1Node): string | null {
  const a = node.metadata?.annotations ?? {};
  const l = node.metadata?.labels ?? {};
  if (isTrue(a[fluoKeys.rebootInProgress])) return 'reboot-in-progress';
  if (isTrue(l[fluoKeys.beforeReboot])) return 'before-reboot';
  if (isTrue(a[fluoKeys.rebootOk])) return 'reboot-ok';
  if (isTrue(l[fluoKeys.afterReboot])) return 'after-reboot';
  if (node.spec?.unschedulable && isTrue(a[fluoKeys.agentMadeUnschedulable])) return 'cordoned by its agent';
  return null;
}

/** Pauses FLUO for this node; returns what to restore (`absent` when there was no annotation). */
export async function pauseFluo(api: NodeApi, node: V1Node): Promise<string> {
  const before = node.metadata?.annotations?.[fluoKeys.rebootPaused] ?? 'absent';
  const name = node.metadata?.name ?? '';
  await api.mergePatchNode(name, { metadata: { annotations: { [fluoKeys.rebootPaused]: 'true', [markKeys.fluoPausedBefore]: before } } });
  return before;
}

export function restoreFluoPausePatch(before: string): Record<string, string | null> {
  return { [fluoKeys.rebootPaused]: before === 'absent' ? null : before };
}
