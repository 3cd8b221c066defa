import type { MethodModule } from './context.ts';

export const promptMethods: MethodModule = (ctx) => ({
  'prompt.answer': async ({ id, answer }) => {
    ctx.prompts.answer(id, answer);
    return { ok: true };
  },
  'prompt.pending': async () => ctx.prompts.list(),
});
