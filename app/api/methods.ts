import { z } from 'zod';
import { activityMethods } from './activity.ts';
import { autoUpdateMethods } from './auto-update.ts';
import { ClusterId, ClusterSummary, ConnectParams, KubeconfigOverview } from './clusters.ts';
import { NodeLiveState, NodeName, NodeSummary } from './nodes.ts';
import { pipelineMethods } from './pipeline.ts';
import { promptMethods } from './prompts.ts';
import { releaseMethods } from './releases.ts';
import { rollbackMethods } from './rollback.ts';
import { channelMethods } from './channels.ts';
import { settingsMethods } from './settings.ts';
import { ubuntuRebootMethods } from './ubuntu-reboot.ts';

const clusterMethods = {
  'clusters.list': { params: z.object({}).default({}), result: z.array(ClusterSummary) },
  'clusters.kubeconfig': { params: z.object({}).default({}), result: KubeconfigOverview },
  'clusters.connect': { params: ConnectParams, result: ClusterSummary },
  'clusters.disconnect': { params: ConnectParams, result: ClusterSummary },
  'nodes.list': { params: z.object({ cluster: ClusterId }), result: z.array(NodeSummary) },
  'nodes.refreshLive': {
    params: z.object({ cluster: ClusterId, nodes: z.array(NodeName).optional() }),
    result: z.array(NodeLiveState),
  },
  /**
   * Follow every Flatcar node's update_engine over SSH while the cluster stays open, pushing each change as a
   * `live` nodes event (idempotent; nodes given up on, e.g. over a declined host key, are tried again).
   */
  'nodes.followLive': {
    params: z.object({ cluster: ClusterId }),
    /** `waiting`: Flatcar nodes not followed live because the most a cluster's watch follows at once already are. */
    result: z.object({ following: z.number().int().nonnegative(), waiting: z.number().int().nonnegative() }),
  },
} as const;

/** Every request the UI or CLI can make: method name → params and result schemas. */
export const apiMethods = {
  ...clusterMethods,
  ...pipelineMethods,
  ...promptMethods,
  ...settingsMethods,
  ...activityMethods,
  ...autoUpdateMethods,
  ...releaseMethods,
  ...rollbackMethods,
  ...ubuntuRebootMethods,
  ...channelMethods,
} as const;

export type ApiMethods = typeof apiMethods;
export type ApiMethod = keyof ApiMethods;
/** What a caller passes (defaults may be omitted). */
export type ApiParams<M extends ApiMethod> = z.input<ApiMethods[M]['params']>;
/** What a handler receives after validation (defaults filled in). */
export type ApiParsedParams<M extends ApiMethod> = z.output<ApiMethods[M]['params']>;
export type ApiResult<M extends ApiMethod> = z.output<ApiMethods[M]['result']>;

export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(apiMethods, name);
}
