// The pod status a kubelet reports once a pod's containers run, and after they stop being ready.
import { createHash, randomBytes } from 'node:crypto';
import { kubeTime } from './node-object.ts';

export interface PodLike {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
  };
  spec: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers: Array<{ name: string; image: string }>;
  };
  status?: {
    phase?: string;
    podIP?: string;
    startTime?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ name: string; restartCount?: number }>;
  };
}

export function isRunningAndReady(pod: { status?: { phase?: string; conditions?: ReadonlyArray<{ type: string; status: string }> } }): boolean {
  return pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

function imageId(image: string): string {
  const repo = image.replace(/:[^/:]+$/, '');
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function condition(type: string, status: boolean, now: string) {
  return { type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now };
}

/** The kubelet's pod conditions: scheduled and initialized either way; sandbox and containers as `running`. */
function podConditions(running: boolean, t: string) {
  return [
    condition('PodReadyToStartContainers', running, t),
    condition('Initialized', true, t),
    condition('Ready', running, t),
    condition('ContainersReady', running, t),
    condition('PodScheduled', true, t),
  ];
}

/** Status after the kubelet (re)started every container: Running and Ready. */
export function runningStatus(pod: PodLike, hostIP: string, podIP: string, now: Date) {
  const t = kubeTime(now);
  const previousRestarts = new Map((pod.status?.containerStatuses ?? []).map((c) => [c.name, c.restartCount ?? 0]));
  const wasStarted = pod.status?.phase === 'Running';
  const ip = pod.spec.hostNetwork ? hostIP : (pod.status?.podIP ?? podIP);
  return {
    status: {
      phase: 'Running',
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: pod.status?.startTime ?? t,
      conditions: podConditions(true, t),
      containerStatuses: pod.spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: imageId(c.image),
        containerID: `containerd://${randomBytes(32).toString('hex')}`,
        ready: true,
        started: true,
        restartCount: (previousRestarts.get(c.name) ?? 0) + (wasStarted ? 1 : 0),
        state: { running: { startedAt: t } },
      })),
    },
  };
}

/** Conditions while the node is down: not Ready (what the node lifecycle controller marks as well). */
export function notReadyStatus(now: Date) {
  const t = kubeTime(now);
  return {
    status: {
      conditions: podConditions(false, t),
    },
  };
}
