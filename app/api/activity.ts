import { z } from 'zod';
import { ClusterId } from './clusters.ts';

export const ActivityEntry = z.object({
  at: z.string(),
  cluster: ClusterId.nullable(),
  node: z.string().nullable(),
  /** What happened, as a code the UI words in its language (with `params`); `message` is the English text. */
  kind: z.string(),
  message: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
  /** Who did it (user@host of the flatdeck instance) for an operator's action; null for what flatdeck saw. */
  actor: z.string().nullable().default(null),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

export const activityMethods = {
  'activity.list': { params: z.object({ limit: z.number().int().positive().max(100000).default(1000) }), result: z.array(ActivityEntry) },
  'activity.export': { params: z.object({ format: z.enum(['json', 'csv']) }), result: z.object({ filename: z.string(), content: z.string() }) },
} as const;
