// The kubelet role of the simulator: plays the kubelet for the SSH-backed Flatcar nodes against any API server
// (the simulator's own or a real kube-apiserver), given an admin kubeconfig.
import { KUBELET_USER_AGENT, KubeRestClient } from './rest-client.ts';
import type { SimNodeView } from './node-view.ts';
import { kubeletTiming } from './timing.ts';
import { NodeAgent } from './node-agent.ts';
import { PodAgent } from './pod-agent.ts';
import { ensureWorkload } from './workload.ts';
import { NODE_LEASE_NAMESPACE } from './node-object.ts';

export type { SimNodeView } from './node-view.ts';

export interface KubeletRoleOptions {
  kubeconfigPath: string;
  nodes: SimNodeView[];
  timeScale: number;
  /** Create the demo workload (DaemonSets, Deployments with PDBs, a StatefulSet, …) if it does not exist. */
  workload: boolean;
  log?: (msg: string) => void;
}

export interface KubeletRole {
  stop(): Promise<void>;
}

export async function startKubeletRole(opts: KubeletRoleOptions): Promise<KubeletRole> {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const client = await KubeRestClient.fromKubeconfigFile(opts.kubeconfigPath, KUBELET_USER_AGENT);
  const timing = kubeletTiming(opts.timeScale);
  const byName = new Map(opts.nodes.map((n) => [n.name, n]));
  if (byName.size !== opts.nodes.length) throw new Error('kubelet role: node names must be unique');

  const ns = await client.raw('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } });
  if (ns.status >= 300 && ns.status !== 409) throw new Error(`kubelet role: creating ${NODE_LEASE_NAMESPACE}: HTTP ${ns.status}`);

  const nodeAgents = opts.nodes.map((view) => new NodeAgent(client, view, timing, log));
  const podAgent = new PodAgent(client, byName, timing, log);
  const unsubscribe = opts.nodes.map((view) => view.onPowerChange((up) => podAgent.nodePowerChanged(view.name, up)));
  try {
    for (const agent of nodeAgents) await agent.start();
    await podAgent.start();
    if (opts.workload) await ensureWorkload(client);
  } catch (err) {
    await stopAll();
    throw err;
  }

  async function stopAll(): Promise<void> {
    for (const off of unsubscribe) off();
    await podAgent.stop();
    await Promise.all(nodeAgents.map((a) => a.stop()));
  }
  return { stop: stopAll };
}
