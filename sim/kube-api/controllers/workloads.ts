// Workload controllers: Deployment → ReplicaSet → Pod, DaemonSet (one pod per eligible node, tolerating cordon),
// StatefulSet (stable names: a deleted pod comes back with the same name and a new uid).
import { clone } from '../patch/json-value.ts';
import { isPodReady } from '../pods.ts';
import type { Rest } from '../rest.ts';
import type { KubeObject, Node, Pod, PodTemplate, Toleration, Workload } from '../types.ts';
import type { Controller } from './manager.ts';
import { nodeFits } from './scheduler.ts';
import { controlledBy, controllerRef, isActive, setCondition, shortHash, writeStatus, type Defs } from './util.ts';
import { deepEqual } from '../patch/json-value.ts';

function podFromTemplate(template: PodTemplate, owner: KubeObject, extraLabels: Record<string, string>): Record<string, unknown> {
  const t = clone(template);
  return {
    metadata: {
      ...(t.metadata ?? {}),
      labels: { ...(t.metadata?.labels ?? {}), ...extraLabels },
      namespace: owner.metadata.namespace,
      ownerReferences: [controllerRef(owner)],
    },
    spec: t.spec,
  };
}

function ownedPods(pods: readonly Pod[], owner: KubeObject): Pod[] {
  return pods.filter((p) => controlledBy(p, owner));
}

function updateStatusIfChanged(rest: Rest, def: Parameters<typeof writeStatus>[1], obj: KubeObject, status: Record<string, unknown>): void {
  if (!deepEqual(obj.status ?? {}, status)) writeStatus(rest, def, obj, status);
}

function readyCount(pods: readonly Pod[]): number {
  return pods.filter((p) => isActive(p) && isPodReady(p)).length;
}

export function replicaSetController(rest: Rest, defs: Defs): Controller {
  return {
    name: 'replicaset',
    sync() {
      const pods = rest.list(defs.pods, undefined).items as Pod[];
      for (const o of rest.list(defs.replicaSets, undefined).items) {
        const rs = o as Workload;
        if (rs.metadata.deletionTimestamp) continue;
        const mine = ownedPods(pods, rs).filter(isActive);
        const want = rs.spec.replicas ?? 1;
        for (let i = mine.length; i < want; i++) {
          const pod = podFromTemplate(rs.spec.template, rs, {});
          (pod.metadata as Record<string, unknown>).generateName = `${rs.metadata.name}-`;
          rest.create(defs.pods, rs.metadata.namespace, pod);
        }
        const surplus = mine.length - want;
        if (surplus > 0) {
          const victims = [...mine].sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b))
            || b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp)).slice(0, surplus);
          for (const v of victims) rest.delete(defs.pods, v.metadata.namespace, v.metadata.name, {});
        }
        const current = ownedPods(rest.list(defs.pods, rs.metadata.namespace).items as Pod[], rs).filter(isActive);
        updateStatusIfChanged(rest, defs.replicaSets, rs, {
          replicas: current.length, fullyLabeledReplicas: current.length, readyReplicas: readyCount(current),
          availableReplicas: readyCount(current), observedGeneration: rs.metadata.generation ?? 1,
        });
      }
    },
  };
}

export function deploymentController(rest: Rest, defs: Defs): Controller {
  return {
    name: 'deployment',
    sync(now) {
      const allRs = rest.list(defs.replicaSets, undefined).items as Workload[];
      for (const o of rest.list(defs.deployments, undefined).items) {
        const d = o as Workload;
        if (d.metadata.deletionTimestamp) continue;
        const want = d.spec.replicas ?? 1;
        const hash = shortHash(d.spec.template);
        const owned = allRs.filter((rs) => controlledBy(rs, d));
        let newRs = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
        const revision = 1 + Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0)));
        if (!newRs) {
          const template = clone(d.spec.template);
          template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash } };
          newRs = rest.create(defs.replicaSets, d.metadata.namespace, {
            metadata: {
              name: `${d.metadata.name}-${hash}`, namespace: d.metadata.namespace, labels: template.metadata.labels,
              annotations: { 'deployment.kubernetes.io/desired-replicas': String(want), 'deployment.kubernetes.io/max-replicas': String(want + 1), 'deployment.kubernetes.io/revision': String(revision) },
              ownerReferences: [controllerRef(d)],
            },
            spec: {
              replicas: want,
              selector: { ...(d.spec.selector ?? {}), matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), 'pod-template-hash': hash } },
              template,
            },
          }) as Workload;
        } else if (newRs.spec.replicas !== want) {
          const next = clone(newRs);
          next.spec.replicas = want;
          newRs = rest.update(defs.replicaSets, next.metadata.namespace, next.metadata.name, next) as Workload;
        }
        const newReady = Number((newRs.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0);
        for (const old of owned) {
          if (old.metadata.uid === newRs.metadata.uid || (old.spec.replicas ?? 0) === 0 || newReady < want) continue;
          const next = clone(old);
          next.spec.replicas = 0;
          rest.update(defs.replicaSets, next.metadata.namespace, next.metadata.name, next);
        }
        const sets = rest.list(defs.replicaSets, d.metadata.namespace).items.filter((rs) => controlledBy(rs, d));
        const sum = (f: string) => sets.reduce((s, rs) => s + Number((rs.status as Record<string, number> | undefined)?.[f] ?? 0), 0);
        const available = sum('availableReplicas');
        const updated = Number((sets.find((rs) => rs.metadata.uid === newRs.metadata.uid)?.status as { replicas?: number } | undefined)?.replicas ?? 0);
        let conditions = setCondition((d.status as { conditions?: [] } | undefined)?.conditions, {
          type: 'Available', status: available >= want ? 'True' : 'False',
          reason: available >= want ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message: available >= want ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
        }, now);
        conditions = setCondition(conditions, {
          type: 'Progressing', status: 'True', reason: updated >= want && available >= want ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
          message: `ReplicaSet "${newRs.metadata.name}" ${updated >= want && available >= want ? 'has successfully progressed.' : 'is progressing.'}`,
        }, now);
        const status: Record<string, unknown> = {
          observedGeneration: d.metadata.generation ?? 1, replicas: sum('replicas'), updatedReplicas: updated,
          readyReplicas: sum('readyReplicas'), availableReplicas: available, conditions,
        };
        if (want - available > 0) status.unavailableReplicas = want - available;
        updateStatusIfChanged(rest, defs.deployments, d, status);
      }
    },
  };
}

const daemonSetTolerations: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function daemonPodTemplate(ds: Workload): PodTemplate {
  const t = clone(ds.spec.template);
  const existing = t.spec.tolerations ?? [];
  t.spec.tolerations = [...existing, ...daemonSetTolerations.filter((d) => !existing.some((e) => e.key === d.key && e.effect === d.effect))];
  return t;
}

/** Whether the DaemonSet places a pod on the node (`running`: whether an existing pod may stay there). */
function daemonEligible(ds: Workload, node: Node, running: boolean): boolean {
  const probe = { metadata: { name: '', uid: '', resourceVersion: '', creationTimestamp: '' }, spec: daemonPodTemplate(ds).spec } as Pod;
  return nodeFits(probe, node, { ignoreReady: true, running }) === undefined;
}

export function daemonSetController(rest: Rest, defs: Defs): Controller {
  return {
    name: 'daemonset',
    sync() {
      const nodes = rest.list(defs.nodes, undefined).items as Node[];
      const pods = rest.list(defs.pods, undefined).items as Pod[];
      for (const o of rest.list(defs.daemonSets, undefined).items) {
        const ds = o as Workload;
        if (ds.metadata.deletionTimestamp) continue;
        const mine = ownedPods(pods, ds);
        const hash = shortHash(ds.spec.template);
        const eligible = nodes.filter((n) => daemonEligible(ds, n, false));
        const keep = nodes.filter((n) => daemonEligible(ds, n, true));
        for (const node of eligible) {
          if (mine.some((p) => p.spec.nodeName === node.metadata.name)) continue;
          const pod = podFromTemplate(daemonPodTemplate(ds), ds, { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) });
          (pod.metadata as Record<string, unknown>).generateName = `${ds.metadata.name}-`;
          const spec = pod.spec as Record<string, unknown>;
          spec.nodeName = node.metadata.name;
          spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node.metadata.name] }] }] } } };
          rest.create(defs.pods, ds.metadata.namespace, pod);
        }
        for (const p of mine) {
          if (!p.metadata.deletionTimestamp && !keep.some((n) => n.metadata.name === p.spec.nodeName)) {
            rest.delete(defs.pods, p.metadata.namespace, p.metadata.name, {});
          }
        }
        // RollingUpdate with maxUnavailable 1: replace one outdated pod at a time, once every pod is ready.
        const settled = mine.every((p) => isActive(p) && isPodReady(p));
        const outdated = mine.find((p) => p.metadata.labels?.['controller-revision-hash'] !== hash);
        if (settled && outdated) rest.delete(defs.pods, outdated.metadata.namespace, outdated.metadata.name, {});
        const current = ownedPods(rest.list(defs.pods, ds.metadata.namespace).items as Pod[], ds).filter(isActive);
        const scheduled = new Set(current.map((p) => p.spec.nodeName));
        const ready = readyCount(current);
        const status: Record<string, unknown> = {
          currentNumberScheduled: scheduled.size, numberMisscheduled: 0, desiredNumberScheduled: eligible.length,
          numberReady: ready, observedGeneration: ds.metadata.generation ?? 1,
          updatedNumberScheduled: current.filter((p) => p.metadata.labels?.['controller-revision-hash'] === hash).length, numberAvailable: ready,
        };
        if (eligible.length - ready > 0) status.numberUnavailable = eligible.length - ready;
        updateStatusIfChanged(rest, defs.daemonSets, ds, status);
      }
    },
  };
}

export function statefulSetController(rest: Rest, defs: Defs): Controller {
  return {
    name: 'statefulset',
    sync() {
      for (const o of rest.list(defs.statefulSets, undefined).items) {
        const sts = o as Workload;
        if (sts.metadata.deletionTimestamp) continue;
        const ns = sts.metadata.namespace;
        const want = sts.spec.replicas ?? 1;
        const revision = `${sts.metadata.name}-${shortHash(sts.spec.template)}`;
        const ordered = (sts.spec as { podManagementPolicy?: string }).podManagementPolicy !== 'Parallel';
        for (let i = 0; i < want; i++) {
          const name = `${sts.metadata.name}-${i}`;
          const existing = rest.find(defs.pods, ns, name) as Pod | undefined;
          if (existing) {
            if (ordered && !(isActive(existing) && isPodReady(existing))) break;
            continue;
          }
          const pod = podFromTemplate(sts.spec.template, sts, {
            'apps.kubernetes.io/pod-index': String(i), 'controller-revision-hash': revision, 'statefulset.kubernetes.io/pod-name': name,
          });
          (pod.metadata as Record<string, unknown>).name = name;
          const spec = pod.spec as Record<string, unknown>;
          spec.hostname = name;
          const service = (sts.spec as { serviceName?: string }).serviceName;
          if (service) spec.subdomain = service;
          rest.create(defs.pods, ns, pod);
          if (ordered) break;
        }
        const mine = ownedPods(rest.list(defs.pods, ns).items as Pod[], sts);
        for (const p of mine) {
          const ordinal = Number(p.metadata.name.slice(sts.metadata.name.length + 1));
          if (ordinal >= want && !p.metadata.deletionTimestamp) rest.delete(defs.pods, ns, p.metadata.name, {});
        }
        const active = mine.filter(isActive);
        const ready = readyCount(active);
        updateStatusIfChanged(rest, defs.statefulSets, sts, {
          observedGeneration: sts.metadata.generation ?? 1, replicas: active.length, readyReplicas: ready, currentReplicas: active.length,
          updatedReplicas: active.length, currentRevision: revision, updateRevision: revision, collisionCount: 0, availableReplicas: ready,
        });
      }
    },
  };
}

