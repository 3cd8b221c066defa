// What a kubelet on a Flatcar node writes about itself: the Node object, its status and its node Lease.
import type { SimNodeView } from './node-view.ts';

export const KUBELET_VERSION = 'v1.36.3';
export const CONTAINER_RUNTIME_VERSION = 'containerd://1.7.23';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const NODE_LEASE_DURATION_SECONDS = 40;

const CAPACITY = { cpu: '4', memory: '16375588Ki', pods: '110', 'ephemeral-storage': '40470732Ki', 'hugepages-2Mi': '0' };
const ALLOCATABLE = { cpu: '3900m', memory: '15737636Ki', pods: '110', 'ephemeral-storage': '37297826550', 'hugepages-2Mi': '0' };

/** metav1.Time: RFC 3339 with whole seconds. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function kubeMicroTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export type NodeHealth = 'ready' | 'shutting-down';

/** Remembers when each condition last changed, like the kubelet does, so transition times stay truthful. */
export class ConditionClock {
  private readonly since = new Map<string, { status: string; at: string }>();

  transition(type: string, status: string, now: Date): string {
    const prev = this.since.get(type);
    if (prev && prev.status === status) return prev.at;
    const at = kubeTime(now);
    this.since.set(type, { status, at });
    return at;
  }
}

export function nodeLabels(view: SimNodeView): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': view.name,
    'kubernetes.io/os': 'linux',
    'node-role.kubernetes.io/worker': '',
    'x-kubernetes.io/distribution': view.distribution ?? 'flatcar',
    ...(view.zone ? { 'topology.kubernetes.io/zone': view.zone } : {}),
  };
}

export function nodeStatus(view: SimNodeView, health: NodeHealth, clock: ConditionClock, now: Date) {
  const heartbeat = kubeTime(now);
  const pressure = (type: string, reason: string, message: string) => ({
    type,
    status: 'False',
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: clock.transition(type, 'False', now),
    reason,
    message,
  });
  const ready = health === 'ready';
  const os = view.osRelease();
  return {
    capacity: CAPACITY,
    allocatable: ALLOCATABLE,
    conditions: [
      pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      {
        type: 'Ready',
        status: ready ? 'True' : 'False',
        lastHeartbeatTime: heartbeat,
        lastTransitionTime: clock.transition('Ready', ready ? 'True' : 'False', now),
        reason: ready ? 'KubeletReady' : 'KubeletNotReady',
        message: ready ? 'kubelet is posting ready status' : 'node is shutting down',
      },
    ],
    addresses: [
      { type: 'InternalIP', address: view.address },
      { type: 'Hostname', address: view.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: view.machineId,
      systemUUID: systemUuid(view.machineId),
      bootID: view.bootId(),
      kernelVersion: view.kernelVersion(),
      osImage: os.prettyName,
      containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

export function nodeObject(view: SimNodeView, clock: ConditionClock, now: Date) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: view.name,
      labels: nodeLabels(view),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {},
    status: nodeStatus(view, view.isUp() ? 'ready' : 'shutting-down', clock, now),
  };
}

export function nodeLease(nodeName: string, nodeUid: string | undefined, now: Date) {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: NODE_LEASE_NAMESPACE,
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] } : {}),
    },
    spec: {
      holderIdentity: nodeName,
      leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS,
      renewTime: kubeMicroTime(now),
    },
  };
}

/** SMBIOS product UUID derived from the machine id (a VM's firmware UUID is stable across reboots). */
function systemUuid(machineId: string): string {
  const hex = machineId.replace(/[^0-9a-f]/gi, '').padEnd(32, '0').slice(0, 32).toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
