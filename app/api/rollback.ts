import { z } from 'zod';
import { ClusterId } from './clusters.ts';
import { NodeName } from './nodes.ts';
import { UpdateOverrides } from './pipeline.ts';

/** One of a Flatcar disk's two USR partitions (USR-A, USR-B) with the GPT attributes GRUB boots by. */
export const UsrPartition = z.object({
  device: z.string(),
  label: z.string(),
  priority: z.number().int().nonnegative(),
  tries: z.number().int().nonnegative(),
  successful: z.boolean(),
  /** FLATCAR_RELEASE_VERSION of the image on it; null when it holds no file system (never written) */
  version: z.string().nullable(),
});
export type UsrPartition = z.infer<typeof UsrPartition>;

export const UsrPartitions = z.object({
  booted: UsrPartition,
  other: UsrPartition,
  /** which one GRUB starts at the next boot */
  nextBoot: z.enum(['booted', 'other']),
  /** what `rollback` would do: boot the other partition's release, discard an update staged there, or why not */
  rollback: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('rollback'), version: z.string() }),
    z.object({ kind: z.literal('discard-staged'), version: z.string().nullable() }),
    z.object({ kind: z.literal('impossible'), reason: z.string() }),
  ]),
});
export type UsrPartitions = z.infer<typeof UsrPartitions>;

export const rollbackMethods = {
  'nodes.usrPartitions': { params: z.object({ cluster: ClusterId, node: NodeName }), result: UsrPartitions },
  'pipeline.rollbackNode': {
    params: z.object({ cluster: ClusterId, node: NodeName, options: UpdateOverrides.default({}) }),
    result: z.object({ runId: z.string() }),
  },
} as const;
