// The node inventory of a kubeconfig's current context, opened the way the service opens it, for tests that drive
// the pipeline engine directly (PipelineEngine's `inventory` option).
import { ActivityLog } from '../../app/service/activity-log.ts';
import { ClusterRegistry } from '../../app/service/cluster-registry.ts';
import type { NodeInventory } from '../../app/cluster/inventory.ts';

export interface OpenInventory {
  inventory(): Promise<NodeInventory>;
  close(): Promise<void>;
}

export function openInventory(kubeconfigPath: string): OpenInventory {
  const registry = new ClusterRegistry({ kubeconfigFiles: [kubeconfigPath], filesRequired: true, loginShellPath: false, emit: () => undefined, activity: new ActivityLog(null) });
  const id = registry.currentContext ?? registry.ids()[0];
  if (!id) throw new Error(`${kubeconfigPath} has no context`);
  return { inventory: () => registry.inventory(id), close: () => registry.close() };
}
