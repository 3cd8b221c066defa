import type { MethodModule } from './context.ts';

export const activityMethods: MethodModule = (ctx) => ({
  'activity.list': async ({ limit }) => ctx.activity.list(limit),
  'activity.export': async ({ format }) => ctx.activity.export(format),
});
