// Stands in for the kubelet on nodes that have none (no heartbeat Lease in kube-node-lease): pods bound there are
// reported Running and Ready, so workloads, PDBs and drains behave on plain Node objects too. Nodes with a real
// kubelet role are left to it.
import { clone } from '../patch/json-value.ts';
import { nodeHasKubelet } from '../pods.ts';
import type { Rest } from '../rest.ts';
import type { Node, Pod } from '../types.ts';
import { timeNow } from '../meta.ts';
import type { Controller } from './manager.ts';
import { nodeReady, setCondition, type Defs } from './util.ts';

let podIpCounter = 0;

export function hollowKubelet(rest: Rest, defs: Defs): Controller {
  return {
    name: 'hollow-kubelet',
    sync(now) {
      for (const o of rest.list(defs.pods, undefined).items) {
        const pod = o as Pod;
        const nodeName = pod.spec.nodeName;
        if (!nodeName || pod.metadata.deletionTimestamp || pod.status?.phase !== 'Pending') continue;
        const node = rest.find(defs.nodes, undefined, nodeName) as Node | undefined;
        if (!node || !nodeReady(node) || nodeHasKubelet(rest.store, nodeName)) continue;
        const hostIP = (node.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
        podIpCounter = (podIpCounter % 60000) + 1;
        const podIP = `10.244.${Math.floor(podIpCounter / 250)}.${(podIpCounter % 250) + 2}`;
        const started = timeNow(now);
        let conditions = pod.status?.conditions;
        for (const type of ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']) {
          conditions = setCondition(conditions, { type, status: 'True', lastProbeTime: null }, now);
        }
        const next = clone(pod);
        next.status = {
          ...next.status, phase: 'Running', conditions, hostIP, hostIPs: [{ ip: hostIP }], podIP, podIPs: [{ ip: podIP }],
          startTime: started,
          containerStatuses: (pod.spec.containers ?? []).map((c) => ({
            name: c.name, ready: true, restartCount: 0, started: true, image: c.image ?? '', imageID: '',
            containerID: `containerd://${pod.metadata.uid.replace(/-/g, '')}${c.name}`.slice(0, 77),
            state: { running: { startedAt: started } },
          })),
        };
        rest.update(defs.pods, pod.metadata.namespace, pod.metadata.name, next, 'status');
      }
    },
  };
}
