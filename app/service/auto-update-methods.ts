import { AutoUpdateController } from '../autoupdate/controller.ts';
import type { MethodModule } from './context.ts';

/** The cluster-wide auto-update toggle and the MachineDeployment edits: one controller per cluster. */
export const autoUpdateMethods: MethodModule = (ctx) => {
  const controllers = new Map<string, AutoUpdateController>();
  const controller = (cluster: string): AutoUpdateController => {
    let c = controllers.get(cluster);
    if (!c) {
      c = new AutoUpdateController({
        clusterId: cluster,
        cluster: async () => {
          await ctx.clusters.connect(cluster);
          return { inventory: await ctx.clusters.inventory(cluster), connection: ctx.clusters.connection(cluster) };
        },
        node: (node) => ctx.ssh.flatcarNode(cluster, node, ctx.emit),
        record: (kind, message, params) => ctx.activity.record(kind, message, { cluster }, { params }),
        nowMs: () => Date.now(),
      });
      controllers.set(cluster, c);
    }
    return c;
  };

  return {
    'autoUpdate.status': ({ cluster }) => controller(cluster).status(),
    'autoUpdate.plan': ({ cluster, enable, options }) => controller(cluster).plan(enable, options),
    'autoUpdate.apply': ({ cluster, planId }) => controller(cluster).apply(planId),
    'md.list': ({ cluster }) => controller(cluster).machineDeployments(),
    'md.setAutoUpdate': ({ cluster, namespace, name, enabled, confirmReplacesNodes }) =>
      controller(cluster).editMachineDeployment({ namespace, name }, { kind: 'auto-update', enabled }, confirmReplacesNodes),
    'md.migrateFlatcar': ({ cluster, namespace, name, confirmReplacesNodes }) =>
      controller(cluster).editMachineDeployment({ namespace, name }, { kind: 'migrate-flatcar' }, confirmReplacesNodes),
  };
};
