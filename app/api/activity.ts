import { z } from 'zod';
import { ClusterId } from './clusters.ts';

export const ActivityEntry = z.object({
  at: z.string(),
  cluster: ClusterId.nullable(),
  node: z.string().nullable(),
  kind: z.string(),
  message: z.string(),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

export const activityMethods = {
  'activity.list': { params: z.object({ limit: z.number().int().positive().max(100000).default(1000) }), result: z.array(ActivityEntry) },
  'activity.export': { params: z.object({ format: z.enum(['json', 'csv']) }), result: z.object({ filename: z.string(), content: z.string() }) },
} as const;
