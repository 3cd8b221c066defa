import type { MethodModule } from './context.ts';

export const clusterMethods: MethodModule = (ctx) => ({
  'clusters.list': async () => ctx.clusters.list(),
  'clusters.kubeconfig': async () => ({ currentCluster: ctx.clusters.currentContext, warnings: ctx.clusters.warnings }),
  'clusters.connect': async ({ cluster }) => ctx.clusters.connect(cluster),
  'clusters.disconnect': async ({ cluster }) => ctx.clusters.disconnect(cluster),
});
