import { readFileSync } from 'node:fs';
import { AppsV1Api, KubernetesObjectApi, loadAllYaml, PatchStrategy, type KubeConfig, type KubernetesObject, type V1DaemonSet } from '@kubernetes/client-node';
import type { z } from 'zod';
import type { FluoInstall } from '../api/auto-update.ts';
import type { RebootWindow } from '../api/pipeline.ts';
import { isNotFound } from './kube-status.ts';
import { realClock } from '../support/clock.ts';
import { pollUntil } from '../support/retry.ts';

export type FluoInstallState = z.infer<typeof FluoInstall>;

export const FIELD_MANAGER = 'flatdeck';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const FLATDECK_NAMESPACE_FOR_FLUO = 'reboot-coordinator';
const AGENT_NAME = 'flatcar-linux-update-agent';
const OPERATOR_NAME = 'flatcar-linux-update-operator';
const OPERATOR_IMAGE = /flatcar-linux-update-operator:([^@\s]+)/;

const MANIFEST_URL = new URL('../../deploy/fluo/fluo.yaml', import.meta.url);

/**
 * FLUO's form of a reboot window (`--reboot-window-start` "Thu 04:00" or "04:00", `--reboot-window-length` a Go
 * duration), read by the operator on its own clock, which is UTC in its image. FLUO starts one day or every day,
 * so a window it cannot express is refused here instead of being set on an operator that would read it otherwise.
 */
export function fluoWindow(w: RebootWindow): { start: string; length: string } {
  if (w.days.length !== 1 && new Set(w.days).size !== 7) throw new RangeError(`FLUO's reboot window starts on one day or on every day, not on ${w.days.join(',')}`);
  if (!['UTC', 'Etc/UTC'].includes(w.timeZone)) throw new RangeError(`FLUO reads its reboot window in UTC; give the window in UTC, not ${w.timeZone}`);
  const h = Math.floor(w.lengthMinutes / 60);
  const m = w.lengthMinutes % 60;
  return { start: w.days.length === 1 ? `${w.days[0]} ${w.start}` : w.start, length: `${h ? `${h}h` : ''}${m ? `${m}m` : ''}` };
}

/** The shipped manifests (deploy/fluo/fluo.yaml), with the reboot window set on the operator when given. */
export function flatdeckFluoObjects(rebootWindow: RebootWindow | null = null): KubernetesObject[] {
  const objects = loadAllYaml(readFileSync(MANIFEST_URL, 'utf8')) as KubernetesObject[];
  if (!rebootWindow) return objects;
  const window = fluoWindow(rebootWindow);
  const operator = objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === OPERATOR_NAME) as
    | { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }
    | undefined;
  const container = operator?.spec.template.spec.containers[0];
  if (!container) throw new Error('deploy/fluo/fluo.yaml has no operator Deployment container');
  container.env = [
    ...(container.env ?? []),
    { name: 'UPDATE_OPERATOR_REBOOT_WINDOW_START', value: window.start },
    { name: 'UPDATE_OPERATOR_REBOOT_WINDOW_LENGTH', value: window.length },
  ];
  return objects;
}

export const describeObject = (o: KubernetesObject): string =>
  `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;

function versionOf(ds: V1DaemonSet): string | null {
  for (const c of ds.spec?.template.spec?.containers ?? []) {
    const tag = OPERATOR_IMAGE.exec(c.image ?? '')?.[1];
    if (tag) return tag;
  }
  return null;
}

function isFluoAgent(ds: V1DaemonSet): boolean {
  return ds.metadata?.name === AGENT_NAME || versionOf(ds) !== null;
}

/**
 * Kubermatic's user-cluster controller runs FLUO in kube-system (flatcar.md §4); flatdeck labels its own copy.
 * Anything else was installed by hand or another tool: flatdeck reports it and leaves it alone.
 */
function managerOf(ds: V1DaemonSet): FluoInstallState['managedBy'] {
  const labels = ds.metadata?.labels ?? {};
  if (labels[MANAGED_BY_LABEL] === FIELD_MANAGER) return 'flatdeck';
  if (ds.metadata?.namespace === 'kube-system' || Object.keys(labels).some((k) => k.includes('kubermatic'))) return 'kubermatic';
  return 'other';
}

/** FLUO is found by its agent DaemonSet in any namespace; `flatcarNodes` is how many agents should run. */
export async function detectFluo(kc: KubeConfig, flatcarNodes: number): Promise<FluoInstallState> {
  const list = await kc.makeApiClient(AppsV1Api).listDaemonSetForAllNamespaces();
  const agents = list.items.filter(isFluoAgent);
  // A Kubermatic copy decides what flatdeck may do, so it wins over a second copy elsewhere.
  const ds = agents.find((a) => managerOf(a) === 'kubermatic') ?? agents.find((a) => managerOf(a) === 'flatdeck') ?? agents[0];
  if (!ds) return { present: false, namespace: null, version: null, managedBy: null, agentReady: 0, agentDesired: flatcarNodes };
  return {
    present: true,
    namespace: ds.metadata?.namespace ?? null,
    version: versionOf(ds),
    managedBy: managerOf(ds),
    agentReady: ds.status?.numberReady ?? 0,
    agentDesired: Math.max(flatcarNodes, ds.status?.desiredNumberScheduled ?? 0),
  };
}

export interface ObjectOutcome {
  object: string;
  action: 'applied' | 'deleted' | 'absent' | 'kept-not-ours';
}

async function readOrNull(api: KubernetesObjectApi, o: KubernetesObject): Promise<KubernetesObject | null> {
  try {
    return await api.read({ apiVersion: o.apiVersion!, kind: o.kind!, metadata: { name: o.metadata!.name!, ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}) } });
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** Present, and not made by flatdeck (no managed-by label of ours). */
async function isForeign(api: KubernetesObjectApi, o: KubernetesObject): Promise<boolean> {
  const current = await readOrNull(api, o);
  return current !== null && current.metadata?.labels?.[MANAGED_BY_LABEL] !== FIELD_MANAGER;
}

/** A namespace being deleted refuses new objects; after an "off" the next "on" waits for it to be gone. */
async function waitNamespaceGone(api: KubernetesObjectApi, ns: KubernetesObject, timeoutMs: number): Promise<void> {
  const gone = await pollUntil(async () => ((await readOrNull(api, ns))?.metadata?.deletionTimestamp ? undefined : true), { clock: realClock, intervalMs: 250, deadlineMs: realClock.nowMs() + timeoutMs });
  if (gone.timedOut) throw new Error(`namespace ${ns.metadata?.name} is still terminating after ${Math.round(timeoutMs / 1000)} s`);
}

/**
 * Server-side apply of every shipped object with field manager `flatdeck`. `force` takes over fields another
 * manager set on flatdeck's own objects (e.g. someone `kubectl edit`ed the window); never used on foreign ones.
 */
export async function applyFluo(kc: KubeConfig, window: RebootWindow | null, opts: { namespaceTimeoutMs?: number } = {}): Promise<ObjectOutcome[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const objects = flatdeckFluoObjects(window);
  const ns = objects.find((o) => o.kind === 'Namespace');
  if (ns) await waitNamespaceGone(api, ns, opts.namespaceTimeoutMs ?? 120_000);
  const outcomes: ObjectOutcome[] = [];
  for (const o of objects) {
    // deploy/rbac.yaml has the admin create the namespace once (it holds flatdeck's Role): used, never taken over.
    if (o === ns && (await isForeign(api, o))) {
      outcomes.push({ object: describeObject(o), action: 'kept-not-ours' });
      continue;
    }
    await api.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    outcomes.push({ object: describeObject(o), action: 'applied' });
  }
  return outcomes;
}

/**
 * Deletes exactly the shipped objects that carry flatdeck's managed-by label (a same-named object someone else
 * made is kept and reported), cluster-scoped ones first, then waits for the namespace to be gone.
 */
export async function removeFluo(kc: KubeConfig, opts: { namespaceTimeoutMs?: number } = {}): Promise<ObjectOutcome[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const objects = flatdeckFluoObjects().reverse();
  const outcomes: ObjectOutcome[] = [];
  for (const o of objects) {
    const current = await readOrNull(api, o);
    if (!current) {
      outcomes.push({ object: describeObject(o), action: 'absent' });
      continue;
    }
    if (current.metadata?.labels?.[MANAGED_BY_LABEL] !== FIELD_MANAGER) {
      outcomes.push({ object: describeObject(o), action: 'kept-not-ours' });
      continue;
    }
    try {
      await api.delete(o, undefined, undefined, undefined, undefined, 'Background');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    outcomes.push({ object: describeObject(o), action: 'deleted' });
  }
  const ns = objects.find((o) => o.kind === 'Namespace');
  if (ns && outcomes.some((x) => x.object === describeObject(ns) && x.action === 'deleted')) {
    await waitNamespaceGone(api, ns, opts.namespaceTimeoutMs ?? 120_000);
  }
  return outcomes;
}
