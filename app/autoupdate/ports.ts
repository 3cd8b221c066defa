import type { ActivityEntry } from '../api/activity.ts';
import type { NodeSummary } from '../api/nodes.ts';
import type { ClusterConnection } from '../cluster/connection.ts';
import type { NodeInventory } from '../cluster/inventory.ts';
import type { FlatcarNode } from '../flatcar/node.ts';

/** What the auto-update controller needs of the world; app/service wires it, tests can fake it. */
export interface AutoUpdatePorts {
  clusterId: string;
  /** Connects when needed; the cluster's API connection and its node inventory now. */
  cluster(): Promise<{ connection: ClusterConnection; inventory: NodeInventory }>;
  /** The Flatcar adapter for one node; its commands show in the node's terminal. */
  node(node: NodeSummary): Promise<FlatcarNode>;
  /** One Activity entry for this cluster: English, and the params the UI words it from in its language. */
  record(kind: string, message: string, params: ActivityEntry['params']): void;
  nowMs(): number;
}
