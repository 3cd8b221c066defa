import type { MethodModule } from './context.ts';

export const clusterMethods: MethodModule = (ctx) => ({
  'clusters.list': async () => ctx.clusters.list(),
  'clusters.connect': async ({ cluster }) => ctx.clusters.connect(cluster),
  'clusters.disconnect': async ({ cluster }) => ctx.clusters.disconnect(cluster),
});
