// An API server the contract suite runs against: the simulator's or the real kube-apiserver. Both come with the
// kubelet role playing kubelet for a few scripted Flatcar nodes, so pods get scheduled, run and terminate.
import type { KubeRestClient } from '../../../sim/kubelet/rest-client.ts';
import type { ScriptedNode } from '../../support/scripted-node.ts';

export interface ContractTarget {
  readonly name: 'sim' | 'real';
  readonly kubeconfigPath: string;
  readonly admin: KubeRestClient;
  /** Nodes the kubelet role registered and runs pods for. */
  readonly nodes: readonly ScriptedNode[];
  /** The kubelet role's time scale: graceful deletions finish after grace × timeScale. */
  readonly timeScale: number;
  /** A kubeconfig for an authenticated user with exactly these groups and no bindings of its own. */
  userKubeconfig(user: string, groups: readonly string[]): Promise<string>;
  /** Makes the server forget its watch history, as compaction and a kube-apiserver restart do. */
  expireWatchHistory(): Promise<void>;
  stop(): Promise<void>;
}
