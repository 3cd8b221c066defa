import type { V1Node, V1Pod } from '@kubernetes/client-node';

/** What "the node really came back" means (kubernetes.md §5.4); every unmet condition is named for the operator. */
export interface RebootEvidence {
  bootIdBefore: string;
  /** When `systemctl reboot` was sent; heartbeats must be newer. */
  rebootIssuedAt: Date;
  /** Boot ID the node reports over SSH after the reboot, when known: the Node object must agree. */
  bootIdNow?: string | null;
}

const BAD_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export function nodeBackProblems(node: V1Node, ev: RebootEvidence): string[] {
  const problems: string[] = [];
  const bootId = node.status?.nodeInfo?.bootID ?? '';
  if (bootId === ev.bootIdBefore) problems.push('the Node still reports the old boot ID');
  else if (ev.bootIdNow && bootId !== ev.bootIdNow) problems.push('the Node does not report the boot ID seen over SSH yet');
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') problems.push(`Ready is ${ready?.status ?? 'missing'}`);
  const heartbeat = ready?.lastHeartbeatTime ? new Date(ready.lastHeartbeatTime) : null;
  if (!heartbeat || heartbeat.getTime() < ev.rebootIssuedAt.getTime()) problems.push('no heartbeat since the reboot');
  const taints = (node.spec?.taints ?? []).filter((t) => BAD_TAINTS.includes(t.key)).map((t) => t.key);
  if (taints.length) problems.push(`tainted ${taints.join(', ')}`);
  return problems;
}

/** DaemonSet pods on the node that are not Ready yet (CNI, CSI, log agents), as namespace/name. */
export function daemonSetPodsNotReady(pods: readonly V1Pod[]): string[] {
  return pods
    .filter((p) => p.metadata?.ownerReferences?.some((o) => o.controller && o.kind === 'DaemonSet'))
    .filter((p) => p.status?.phase !== 'Succeeded' && !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
}
