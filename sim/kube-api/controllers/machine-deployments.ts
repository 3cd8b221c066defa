// Kubermatic machine-controller role for cluster.k8s.io/v1alpha1: MachineDeployment → MachineSet → Machine → Node.
// A change to spec.template rolls the nodes with maxSurge/maxUnavailable (defaults 1/0): a new Machine and Node
// come up first, then an old Machine is deleted, which cordons its node, evicts its pods (honouring PDBs), deletes
// the Node and releases the Machine.
import { ApiError } from '../errors.ts';
import { clone, deepEqual } from '../patch/json-value.ts';
import { evictPod, type EvictionDeps } from '../pods.ts';
import type { ResourceDef, ResourceRegistry } from '../resources.ts';
import type { Rest } from '../rest.ts';
import type { KubeObject, Node, Pod } from '../types.ts';
import { timeNow } from '../meta.ts';
import type { Controller } from './manager.ts';
import { controlledBy, controllerRef, nodeReady, shortHash, writeStatus, type Defs } from './util.ts';

export const machineGroup = 'cluster.k8s.io';
const finalizer = 'machine-delete-finalizer';
const hashLabel = 'machine-template-hash';

export interface ProvisionRequest { machine: string; namespace: string; machineDeployment: string | undefined; template: unknown }
export interface MachineHooks {
  /** Creates the node for a new Machine (e.g. an SSH-backed sim node whose kubelet registers it); returns its name. */
  provisionNode?(req: ProvisionRequest): Promise<{ nodeName: string }>;
  /** Called after the Node of a deleted Machine is gone. */
  deprovisionNode?(nodeName: string): Promise<void>;
}

interface MachineObject extends KubeObject {
  spec: { template?: unknown; replicas?: number; paused?: boolean; selector?: unknown; strategy?: { rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } }; [k: string]: unknown };
  status?: { nodeRef?: { name: string; uid?: string; apiVersion?: string; kind?: string }; [k: string]: unknown };
}

const crd = (plural: string, kind: string, shortNames: string[], scale: boolean) => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${machineGroup}`, annotations: { 'api-approved.kubernetes.io': 'unapproved, legacy API' } },
  spec: {
    group: machineGroup, scope: 'Namespaced',
    names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List`, shortNames },
    versions: [{
      name: 'v1alpha1', served: true, storage: true,
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      subresources: scale ? { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } : { status: {} },
      ...(kind === 'MachineDeployment' ? { additionalPrinterColumns: [
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Available', type: 'integer', jsonPath: '.status.availableReplicas' },
        { name: 'OS', type: 'string', jsonPath: '.spec.template.spec.providerSpec.value.operatingSystem' },
        { name: 'Kubelet', type: 'string', jsonPath: '.spec.template.spec.versions.kubelet' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ] } : {}),
    }],
  },
});

export const machineCrds = [
  crd('machinedeployments', 'MachineDeployment', ['md'], true),
  crd('machinesets', 'MachineSet', ['ms'], true),
  crd('machines', 'Machine', ['ma'], false),
];

function intOrPercent(v: number | string | undefined, total: number, fallback: number, roundUp: boolean): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export function machineController(rest: Rest, defs: Defs, registry: ResourceRegistry, eviction: EvictionDeps, hooks: MachineHooks,
  opts: { osImage: string; kubeletVersion: string; retryMs: number }): Controller {
  const def = (resource: string): ResourceDef | undefined => registry.lookup(machineGroup, 'v1alpha1', resource);
  const busy = new Set<string>();          // machines with provisioning or draining in flight
  const lastAttempt = new Map<string, number>();
  const failures: string[] = [];
  let nodeCounter = 0;

  const run = (key: string, now: number, work: () => Promise<void>) => {
    if (busy.has(key) || now - (lastAttempt.get(key) ?? 0) < opts.retryMs) return;
    busy.add(key);
    lastAttempt.set(key, now);
    work().catch((e: unknown) => { failures.push(`${key}: ${e instanceof Error ? e.message : String(e)}`); })
      .finally(() => busy.delete(key));
  };

  const machineReady = (m: MachineObject): boolean => {
    const nodeName = m.status?.nodeRef?.name;
    const node = nodeName ? rest.find(defs.nodes, undefined, nodeName) as Node | undefined : undefined;
    return !!node && nodeReady(node) && !m.metadata.deletionTimestamp;
  };

  const plainNode = (machine: MachineObject) => {
    nodeCounter += 1;
    const address = `10.0.${Math.floor(nodeCounter / 250) % 250}.${(nodeCounter % 250) + 2}`;
    return {
      metadata: {
        name: machine.metadata.name,
        labels: { 'kubernetes.io/hostname': machine.metadata.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'x-kubernetes.io/distribution': 'flatcar' },
        annotations: { 'cluster.k8s.io/machine': `${machine.metadata.namespace}/${machine.metadata.name}` },
      },
      spec: { providerID: `sim://${machine.metadata.name}` },
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: timeNow(), lastTransitionTime: timeNow() }],
        addresses: [{ type: 'InternalIP', address }, { type: 'Hostname', address: machine.metadata.name }],
        nodeInfo: { osImage: opts.osImage, kubeletVersion: opts.kubeletVersion, kernelVersion: '6.6.95-flatcar', containerRuntimeVersion: 'containerd://1.7.23', operatingSystem: 'linux', architecture: 'amd64', machineID: machine.metadata.uid.replace(/-/g, ''), systemUUID: machine.metadata.uid, bootID: machine.metadata.uid, kubeProxyVersion: '' },
        capacity: { cpu: '2', memory: '4012720Ki', pods: '110' }, allocatable: { cpu: '2', memory: '3910320Ki', pods: '110' },
      },
    };
  };

  const provision = async (machine: MachineObject, machinesDef: ResourceDef) => {
    const mdName = machine.metadata.labels?.machinedeployment;
    let nodeName: string;
    if (hooks.provisionNode) {
      nodeName = (await hooks.provisionNode({ machine: machine.metadata.name, namespace: machine.metadata.namespace ?? '', machineDeployment: mdName, template: machine.spec })).nodeName;
    } else {
      nodeName = machine.metadata.name;
      if (!rest.find(defs.nodes, undefined, nodeName)) rest.create(defs.nodes, undefined, plainNode(machine));
    }
    const current = rest.find(machinesDef, machine.metadata.namespace, machine.metadata.name) as MachineObject | undefined;
    if (!current) return;
    const next = clone(current);
    next.status = { ...(next.status ?? {}), nodeRef: { name: nodeName } };
    rest.update(machinesDef, next.metadata.namespace, next.metadata.name, next, 'status');
  };

  const drainAndRelease = async (machine: MachineObject, machinesDef: ResourceDef) => {
    const nodeName = machine.status?.nodeRef?.name;
    const node = nodeName ? rest.find(defs.nodes, undefined, nodeName) as Node | undefined : undefined;
    if (node && nodeName) {
      if (!node.spec?.unschedulable) {
        rest.patch(defs.nodes, undefined, nodeName, 'application/merge-patch+json', JSON.stringify({ spec: { unschedulable: true } }));
      }
      const pods = (rest.list(defs.pods, undefined, { fieldSelector: `spec.nodeName=${nodeName}` }).items as Pod[])
        .filter((p) => !(p.metadata.ownerReferences ?? []).some((r) => r.controller && r.kind === 'DaemonSet')
          && !p.metadata.annotations?.['kubernetes.io/config.mirror']);
      let pending = 0;
      for (const p of pods) {
        if (p.metadata.deletionTimestamp) { pending++; continue; }
        try {
          evictPod(eviction, p.metadata.namespace ?? '', p.metadata.name, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p.metadata.name, namespace: p.metadata.namespace } });
        } catch (e) {
          if (!(e instanceof ApiError) || e.code !== 404) pending++;
        }
        if (rest.find(defs.pods, p.metadata.namespace, p.metadata.name)) pending++;
      }
      if (pending > 0) return;     // retried on a later pass, like the drain's 429 retry loop
      rest.delete(defs.nodes, undefined, nodeName, {});
      await hooks.deprovisionNode?.(nodeName);
    }
    const current = rest.find(machinesDef, machine.metadata.namespace, machine.metadata.name) as MachineObject | undefined;
    if (!current) return;
    const next = clone(current);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    rest.update(machinesDef, next.metadata.namespace, next.metadata.name, next);
  };

  const syncMachines = (now: number, machinesDef: ResourceDef) => {
    for (const o of rest.list(machinesDef, undefined).items) {
      const m = o as MachineObject;
      const key = `${m.metadata.namespace}/${m.metadata.name}`;
      if (m.metadata.deletionTimestamp) {
        if ((m.metadata.finalizers ?? []).includes(finalizer)) run(key, now, () => drainAndRelease(m, machinesDef));
        continue;
      }
      if (!(m.metadata.finalizers ?? []).includes(finalizer)) {
        const next = clone(m);
        next.metadata.finalizers = [...(next.metadata.finalizers ?? []), finalizer];
        rest.update(machinesDef, m.metadata.namespace, m.metadata.name, next);
        continue;
      }
      if (!m.status?.nodeRef) run(key, now, () => provision(m, machinesDef));
      else {
        const node = rest.find(defs.nodes, undefined, m.status.nodeRef.name);
        if (node && !m.status.nodeRef.uid) {
          const next = clone(m);
          next.status = { ...next.status, nodeRef: { apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid: node.metadata.uid } };
          rest.update(machinesDef, m.metadata.namespace, m.metadata.name, next, 'status');
        }
      }
    }
  };

  const syncMachineSets = (setsDef: ResourceDef, machinesDef: ResourceDef) => {
    const machines = rest.list(machinesDef, undefined).items as MachineObject[];
    for (const o of rest.list(setsDef, undefined).items) {
      const ms = o as MachineObject;
      if (ms.metadata.deletionTimestamp) continue;
      const mine = machines.filter((m) => controlledBy(m, ms));
      const alive = mine.filter((m) => !m.metadata.deletionTimestamp);
      const want = ms.spec.replicas ?? 1;
      for (let i = alive.length; i < want; i++) {
        rest.create(machinesDef, ms.metadata.namespace, {
          metadata: {
            generateName: `${ms.metadata.name}-`, namespace: ms.metadata.namespace,
            labels: { ...((ms.spec.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {}), ...(ms.metadata.labels ?? {}) },
            ownerReferences: [controllerRef(ms)], finalizers: [finalizer],
          },
          spec: clone((ms.spec.template as { spec?: unknown } | undefined)?.spec ?? {}),
        });
      }
      const surplus = alive.length - want;
      if (surplus > 0) {
        const victims = [...alive].sort((a, b) => Number(machineReady(a)) - Number(machineReady(b))
          || a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp)).slice(0, surplus);
        for (const v of victims) rest.delete(machinesDef, v.metadata.namespace, v.metadata.name, {});
      }
      const ready = alive.filter(machineReady).length;
      const status = { replicas: alive.length, fullyLabeledReplicas: alive.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: ms.metadata.generation ?? 1 };
      if (!deepEqual(ms.status ?? {}, status)) writeStatus(rest, setsDef, ms, status);
    }
  };

  const syncDeployments = (mdDef: ResourceDef, setsDef: ResourceDef) => {
    const sets = rest.list(setsDef, undefined).items as MachineObject[];
    for (const o of rest.list(mdDef, undefined).items) {
      const md = o as MachineObject;
      if (md.metadata.deletionTimestamp) continue;
      const ns = md.metadata.namespace;
      const want = md.spec.replicas ?? 1;
      const hash = shortHash(md.spec.template ?? {});
      const owned = sets.filter((s) => controlledBy(s, md));
      let newMs = owned.find((s) => s.metadata.labels?.[hashLabel] === hash);
      const olds = owned.filter((s) => s !== newMs);
      const oldTotal = olds.reduce((s, x) => s + (x.spec.replicas ?? 0), 0);
      const maxSurge = intOrPercent(md.spec.strategy?.rollingUpdate?.maxSurge, want, 1, true);
      const maxUnavailable = intOrPercent(md.spec.strategy?.rollingUpdate?.maxUnavailable, want, 0, false);
      if (!newMs) {
        const template = clone(md.spec.template ?? {}) as { metadata?: { labels?: Record<string, string> }; spec?: unknown };
        const labels = { ...(template.metadata?.labels ?? {}), [hashLabel]: hash, machinedeployment: md.metadata.name };
        template.metadata = { ...(template.metadata ?? {}), labels };
        newMs = rest.create(setsDef, ns, {
          metadata: { name: `${md.metadata.name}-${hash}`, namespace: ns, labels, ownerReferences: [controllerRef(md)] },
          spec: { replicas: oldTotal > 0 ? 0 : want, selector: { matchLabels: labels }, template },
        }) as MachineObject;
      }
      if (!md.spec.paused) {
        const total = oldTotal + (newMs.spec.replicas ?? 0);
        const newReplicas = newMs.spec.replicas ?? 0;
        const scaleUp = Math.min(want - newReplicas, want + maxSurge - total);
        const desiredNew = oldTotal === 0 ? want : newReplicas + Math.max(0, scaleUp);
        if (desiredNew !== newReplicas) {
          const next = clone(newMs);
          next.spec.replicas = desiredNew;
          newMs = rest.update(setsDef, ns, next.metadata.name, next) as MachineObject;
        }
        const readyAll = owned.concat(owned.includes(newMs) ? [] : [newMs])
          .reduce((s, x) => s + Number((x.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0), 0);
        let canRemove = readyAll - (want - maxUnavailable);
        for (const old of olds.sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp))) {
          const r = old.spec.replicas ?? 0;
          if (r === 0 || canRemove <= 0) continue;
          const down = Math.min(r, canRemove);
          canRemove -= down;
          const next = clone(old);
          next.spec.replicas = r - down;
          rest.update(setsDef, ns, next.metadata.name, next);
        }
      }
      const current = rest.list(setsDef, ns).items.filter((s) => controlledBy(s, md)) as MachineObject[];
      const sum = (f: string) => current.reduce((s, x) => s + Number((x.status as Record<string, number> | undefined)?.[f] ?? 0), 0);
      const updated = Number((current.find((s) => s.metadata.labels?.[hashLabel] === hash)?.status as { replicas?: number } | undefined)?.replicas ?? 0);
      const available = sum('availableReplicas');
      const status = {
        observedGeneration: md.metadata.generation ?? 1, replicas: sum('replicas'), updatedReplicas: updated,
        readyReplicas: sum('readyReplicas'), availableReplicas: available, unavailableReplicas: Math.max(0, want - available),
      };
      if (!deepEqual(md.status ?? {}, status)) writeStatus(rest, mdDef, md, status);
    }
  };

  return {
    name: 'machine-controller',
    sync(now) {
      const mdDef = def('machinedeployments');
      const setsDef = def('machinesets');
      const machinesDef = def('machines');
      if (!mdDef || !setsDef || !machinesDef) return;
      syncDeployments(mdDef, setsDef);
      syncMachineSets(setsDef, machinesDef);
      syncMachines(now, machinesDef);
      if (failures.length > 50) failures.splice(0, failures.length - 50);
    },
  };
}

