// Cluster housekeeping controllers: namespace lifecycle with its default ServiceAccount, owner-reference garbage
// collection, pods of vanished nodes, and node taints derived from cordon state and the Ready condition.
import { clone } from '../patch/json-value.ts';
import type { Rest } from '../rest.ts';
import type { Store } from '../store.ts';
import type { KubeObject, Node, Pod, Taint } from '../types.ts';
import { timeNow } from '../meta.ts';
import type { Controller } from './manager.ts';
import type { Defs } from './util.ts';
import type { ResourceRegistry } from '../resources.ts';

/** `contentDelayMs`: how long a Terminating namespace keeps its content, as the real controller takes a while. */
export function namespaceController(rest: Rest, defs: Defs, registry: ResourceRegistry, contentDelayMs: number): Controller {
  return {
    name: 'namespace',
    sync(now) {
      for (const ns of rest.list(defs.namespaces, undefined).items) {
        const name = ns.metadata.name;
        if (!ns.metadata.deletionTimestamp) {
          if (!rest.find(defs.serviceAccounts, name, 'default')) {
            rest.create(defs.serviceAccounts, name, { metadata: { name: 'default', namespace: name } });
          }
          continue;
        }
        if ((ns.status as { phase?: string } | undefined)?.phase !== 'Terminating') {
          const next = clone(ns);
          next.status = { phase: 'Terminating' };
          rest.update(defs.namespaces, undefined, name, next, 'status');
        }
        if (now - Date.parse(ns.metadata.deletionTimestamp) < contentDelayMs) continue;
        let remaining = 0;
        for (const def of registry.all().filter((d) => d.namespaced)) {
          for (const o of rest.list(def, name).items) {
            remaining++;
            if (!o.metadata.deletionTimestamp) rest.delete(def, name, o.metadata.name, {});
          }
        }
        if (remaining === 0) {
          const current = rest.get(defs.namespaces, undefined, name);
          if ((current.metadata.finalizers ?? []).length === 0) rest.store.remove('namespaces', current);
        }
      }
    },
  };
}

/** Background cascading deletion: dependents whose every owner is gone are deleted. */
export function garbageCollector(rest: Rest, registry: ResourceRegistry): Controller {
  return {
    name: 'garbage-collector',
    sync() {
      const all = registry.all();
      const seen = new Set<string>();
      const uids = new Set<string>();
      const objects: Array<{ def: (typeof all)[number]; o: KubeObject }> = [];
      for (const def of all) {
        const key = `${def.group}/${def.resource}`;
        if (seen.has(key)) continue;
        seen.add(key);
        for (const o of rest.list(def, undefined).items) {
          uids.add(o.metadata.uid);
          objects.push({ def, o });
        }
      }
      for (const { def, o } of objects) {
        const refs = o.metadata.ownerReferences ?? [];
        if (refs.length === 0 || o.metadata.deletionTimestamp) continue;
        if (refs.every((r) => !uids.has(r.uid))) rest.delete(def, o.metadata.namespace, o.metadata.name, {});
      }
    },
  };
}

/** Pods bound to a node that no longer exists are removed (the pod GC's orphan rule). */
export function podGarbageCollector(rest: Rest, defs: Defs): Controller {
  return {
    name: 'pod-gc',
    sync() {
      for (const o of rest.list(defs.pods, undefined).items) {
        const p = o as Pod;
        if (p.spec.nodeName && !rest.find(defs.nodes, undefined, p.spec.nodeName)) {
          rest.delete(defs.pods, p.metadata.namespace, p.metadata.name, { gracePeriodSeconds: 0 });
        }
      }
    },
  };
}

const unschedulableTaint = 'node.kubernetes.io/unschedulable';
const notReadyTaint = 'node.kubernetes.io/not-ready';
const unreachableTaint = 'node.kubernetes.io/unreachable';

/**
 * Node lifecycle: the unschedulable / not-ready / unreachable NoSchedule taints, and Ready=Unknown when a kubelet
 * went silent for the grace period: neither its Lease renewed nor its Ready heartbeat posted (either counts, as
 * in node_lifecycle_controller.go tryUpdateNodeHealth), so a kubelet back from a reboot is Ready from its first
 * status post even before it renews the Lease.
 */
export function nodeLifecycleController(rest: Rest, defs: Defs, store: Store, gracePeriodMs: number): Controller {
  return {
    name: 'node-lifecycle',
    sync(now) {
      for (const o of rest.list(defs.nodes, undefined).items) {
        let node = o as Node;
        const lease = store.get('leases.coordination.k8s.io', 'kube-node-lease', node.metadata.name);
        const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
        const renew = Date.parse(String((lease?.spec as { renewTime?: string } | undefined)?.renewTime ?? ''));
        const heartbeat = Date.parse(String(ready?.lastHeartbeatTime ?? ''));
        const heard = Number.isNaN(heartbeat) ? renew : Math.max(renew, heartbeat);
        if (lease && ready && ready.status !== 'Unknown' && !Number.isNaN(renew) && now - heard > gracePeriodMs) {
          const next = clone(node);
          next.status = {
            ...next.status,
            conditions: (next.status?.conditions ?? []).map((c) => ({
              ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.',
              lastTransitionTime: timeNow(now),
            })),
          };
          node = rest.update(defs.nodes, undefined, node.metadata.name, next, 'status') as Node;
        }
        const readyNow = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
        const wanted = new Map<string, boolean>([
          [unschedulableTaint, node.spec?.unschedulable === true],
          [notReadyTaint, readyNow?.status === 'False'],
          [unreachableTaint, readyNow?.status === 'Unknown' && lease !== undefined],
        ]);
        const taints = node.spec?.taints ?? [];
        let changed = false;
        let nextTaints: Taint[] = taints.filter((t) => {
          const want = wanted.get(t.key);
          if (want === undefined || t.effect !== 'NoSchedule') return true;
          if (!want) changed = true;
          return want;
        });
        for (const [key, want] of wanted) {
          if (want && !nextTaints.some((t) => t.key === key && t.effect === 'NoSchedule')) {
            nextTaints = [...nextTaints, { key, effect: 'NoSchedule', timeAdded: timeNow(now) }];
            changed = true;
          }
        }
        if (!changed) continue;
        const next = clone(node);
        next.spec = { ...next.spec };
        if (nextTaints.length) next.spec.taints = nextTaints;
        else delete next.spec.taints;
        rest.update(defs.nodes, undefined, node.metadata.name, next);
      }
    },
  };
}
