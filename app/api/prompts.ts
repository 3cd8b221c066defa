import { z } from 'zod';

/** Questions the core asks the operator; the UI answers with `prompt.answer`. */
export const Prompt = z.discriminatedUnion('kind', [
  z.object({
    id: z.string(),
    kind: z.literal('host-key-unknown'),
    host: z.string(),
    port: z.number().int(),
    keyType: z.string(),
    fingerprint: z.string(),
    /** Keys of other types already known for the host (file:line), shown with OpenSSH's warning. */
    otherKnownKeys: z.array(z.object({ keyType: z.string(), fingerprint: z.string(), file: z.string(), line: z.number().int() })).optional(),
  }),
  z.object({ id: z.string(), kind: z.literal('passphrase'), keyPath: z.string() }),
]);
export type Prompt = z.infer<typeof Prompt>;

export const PromptAnswer = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('host-key-unknown'), accept: z.boolean() }),
  z.object({ kind: z.literal('passphrase'), passphrase: z.string().nullable() }),
]);
export type PromptAnswer = z.infer<typeof PromptAnswer>;

export const promptMethods = {
  'prompt.answer': { params: z.object({ id: z.string(), answer: PromptAnswer }), result: z.object({ ok: z.boolean() }) },
  'prompt.pending': { params: z.object({}).default({}), result: z.array(Prompt) },
} as const;
