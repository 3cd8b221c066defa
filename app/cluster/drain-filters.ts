import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { Blocker, PodPlan } from '../api/pipeline.ts';

/**
 * Pod classification for a drain, in kubectl's filter order (pkg/drain/filters.go): the first rule that
 * decides a pod wins, so the order of `podRules` is the policy. Unlike kubectl, a refusal is not an error
 * thrown mid-drain but a blocker the pre-flight lists before anything is cordoned.
 */
export interface DrainPolicy {
  emptyDirPolicy: 'refuse' | 'delete';
  unmanagedPodPolicy: 'refuse' | 'delete';
  /** Pods terminating for longer than this are not waited for (kubectl --skip-wait-for-delete-timeout); null = off. */
  skipDeletedAfterSeconds: number | null;
}

export type RuleVerdict =
  | { decided: true; plan: Omit<PodPlan, 'namespace' | 'name'>; blocker?: Omit<Blocker, 'pod' | 'pdb'> }
  | { decided: false };

type PodRule = (pod: V1Pod, policy: DrainPolicy, now: Date) => RuleVerdict;

const pass: RuleVerdict = { decided: false };
const decide = (action: PodPlan['action'], reason: string, blocker?: Omit<Blocker, 'pod' | 'pdb'>): RuleVerdict =>
  blocker ? { decided: true, plan: { action, reason }, blocker } : { decided: true, plan: { action, reason } };

export function podRef(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '?'}`;
}

function isFinished(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function controllerOf(pod: V1Pod): { kind: string; name: string } | null {
  const ref = pod.metadata?.ownerReferences?.find((o) => o.controller === true);
  return ref ? { kind: ref.kind, name: ref.name } : null;
}

function deletedLongAgo(pod: V1Pod, policy: DrainPolicy, now: Date): RuleVerdict {
  const ts = pod.metadata?.deletionTimestamp;
  if (policy.skipDeletedAfterSeconds === null || !ts) return pass;
  const ageSeconds = (now.getTime() - new Date(ts).getTime()) / 1000;
  return ageSeconds > policy.skipDeletedAfterSeconds
    ? decide('skip-finished', `terminating for ${Math.round(ageSeconds)} s; not waited for`)
    : pass;
}

function daemonSetPod(pod: V1Pod): RuleVerdict {
  const ctl = controllerOf(pod);
  if (ctl?.kind !== 'DaemonSet') return pass;
  if (isFinished(pod)) return decide('evict', 'finished DaemonSet pod');
  return decide('skip-daemonset', `managed by DaemonSet ${ctl.name}; it stays on the node`);
}

function mirrorPod(pod: V1Pod): RuleVerdict {
  return pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined
    ? decide('skip-mirror', 'static (mirror) pod; the kubelet owns it')
    : pass;
}

function localStoragePod(pod: V1Pod, policy: DrainPolicy): RuleVerdict {
  if (!pod.spec?.volumes?.some((v) => v.emptyDir)) return pass;
  if (isFinished(pod)) return decide('evict', 'finished pod with emptyDir');
  if (policy.emptyDirPolicy === 'delete') return decide('delete-emptydir', 'emptyDir data will be lost (allowed by policy)');
  return decide('delete-emptydir', 'uses emptyDir; its data would be lost', {
    kind: 'emptydir-pod',
    severity: 'error',
    message: `Pod ${podRef(pod)} uses emptyDir storage; allow deleting emptyDir data to drain it`,
  });
}

function unreplicatedPod(pod: V1Pod, policy: DrainPolicy): RuleVerdict {
  if (isFinished(pod)) return decide('evict', 'finished pod');
  const ctl = controllerOf(pod);
  if (ctl) return decide('evict', `managed by ${ctl.kind} ${ctl.name}`);
  if (policy.unmanagedPodPolicy === 'delete') return decide('delete-unmanaged', 'no controller; it will not come back (allowed by policy)');
  return decide('delete-unmanaged', 'declares no controller; it would not be recreated', {
    kind: 'unmanaged-pod',
    severity: 'error',
    message: `Pod ${podRef(pod)} declares no controller; allow deleting unmanaged pods to drain it`,
  });
}

/** kubectl's order: skip-deleted, DaemonSet, mirror, local storage, unreplicated. */
export const podRules: readonly PodRule[] = [deletedLongAgo, daemonSetPod, mirrorPod, localStoragePod, unreplicatedPod];

export interface PodClassification {
  plan: PodPlan;
  blockers: Blocker[];
}

export function classifyPod(pod: V1Pod, policy: DrainPolicy, now: Date): PodClassification {
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '?';
  for (const rule of podRules) {
    const verdict = rule(pod, policy, now);
    if (!verdict.decided) continue;
    const blockers = verdict.blocker ? [{ ...verdict.blocker, pod: `${namespace}/${name}`, pdb: null }] : [];
    return { plan: { namespace, name, ...verdict.plan }, blockers };
  }
  return { plan: { namespace, name, action: 'evict', reason: 'default' }, blockers: [] };
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** policy/v1 semantics: a null selector matches nothing, an empty one matches every pod in the namespace. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key] as string);
    const ok =
      e.operator === 'In' ? inValues : e.operator === 'NotIn' ? !inValues : e.operator === 'Exists' ? has : e.operator === 'DoesNotExist' ? !has : false;
    if (!ok) return false;
  }
  return true;
}

export function pdbsFor(pod: V1Pod, pdbs: readonly V1PodDisruptionBudget[]): V1PodDisruptionBudget[] {
  const labels = pod.metadata?.labels ?? {};
  return pdbs.filter((p) => p.metadata?.namespace === pod.metadata?.namespace && selectorMatches(p.spec?.selector, labels));
}

const pdbRef = (p: V1PodDisruptionBudget) => `${p.metadata?.namespace}/${p.metadata?.name}`;

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** What the Eviction API will say about an evictable pod, predicted from its PDBs and its own state. */
export function disruptionBlockers(pod: V1Pod, pdbs: readonly V1PodDisruptionBudget[]): Blocker[] {
  const ref = podRef(pod);
  const matching = pdbsFor(pod, pdbs);
  const out: Blocker[] = [];
  if (matching.length > 1) {
    out.push({
      kind: 'multi-pdb',
      severity: 'error',
      message: `Pod ${ref} is matched by ${matching.length} PodDisruptionBudgets (${matching.map(pdbRef).join(', ')}); the API refuses to evict it`,
      pod: ref,
      pdb: matching.map(pdbRef).join(','),
    });
    return out;
  }
  const [pdb] = matching;
  if (!pdb) return out;
  if ((pdb.status?.disruptionsAllowed ?? 0) <= 0) {
    // Often transient (a replacement pod still starting): listed, and the drain waits for it with backoff.
    out.push({
      kind: 'pdb-zero',
      severity: 'warning',
      message: `PodDisruptionBudget ${pdbRef(pdb)} allows 0 disruptions; pod ${ref} cannot be evicted now`,
      pod: ref,
      pdb: pdbRef(pdb),
    });
  }
  if (!isReady(pod) && pdb.spec?.unhealthyPodEvictionPolicy !== 'AlwaysAllow') {
    out.push({
      kind: 'unhealthy-pdb',
      severity: 'warning',
      message: `Pod ${ref} is not Ready and guarded by ${pdbRef(pdb)} without unhealthyPodEvictionPolicy: AlwaysAllow; eviction may be refused`,
      pod: ref,
      pdb: pdbRef(pdb),
    });
  }
  return out;
}

export function finalizerWarning(pod: V1Pod): Blocker[] {
  const finalizers = pod.metadata?.finalizers ?? [];
  if (finalizers.length === 0) return [];
  return [
    {
      kind: 'finalizer',
      severity: 'warning',
      message: `Pod ${podRef(pod)} has finalizers (${finalizers.join(', ')}); its deletion may wait for them`,
      pod: podRef(pod),
      pdb: null,
    },
  ];
}

export interface DrainPlan {
  pods: PodPlan[];
  /** Pods the drain will evict or delete, in list order. */
  toRemove: V1Pod[];
  blockers: Blocker[];
}

export function planDrain(pods: readonly V1Pod[], pdbs: readonly V1PodDisruptionBudget[], policy: DrainPolicy, now: Date): DrainPlan {
  const plan: DrainPlan = { pods: [], toRemove: [], blockers: [] };
  for (const pod of pods) {
    const c = classifyPod(pod, policy, now);
    plan.pods.push(c.plan);
    plan.blockers.push(...c.blockers);
    if (c.plan.action === 'evict' || c.plan.action === 'delete-emptydir' || c.plan.action === 'delete-unmanaged') {
      plan.toRemove.push(pod);
      if (!isFinished(pod)) plan.blockers.push(...disruptionBlockers(pod, pdbs), ...finalizerWarning(pod));
    }
  }
  return plan;
}

export const hasErrors = (blockers: readonly Blocker[]): boolean => blockers.some((b) => b.severity !== 'warning');
