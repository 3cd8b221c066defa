import { z } from 'zod';
import { ClusterId } from './clusters.ts';
import { NodeName } from './nodes.ts';
import { UpdateOverrides } from './pipeline.ts';

/** An Ubuntu node's /var/run/reboot-required and the packages its .pkgs list names (each once). */
export const RebootRequired = z.object({
  required: z.boolean(),
  packages: z.array(z.string()),
  /** the MachineDeployment that owns the node (namespace/name): migrating it to Flatcar replaces the node; null: none known */
  machineDeployment: z.string().nullable(),
});
export type RebootRequired = z.infer<typeof RebootRequired>;

export const ubuntuRebootMethods = {
  'nodes.rebootRequired': { params: z.object({ cluster: ClusterId, node: NodeName }), result: RebootRequired },
  /** Reboots an Ubuntu node through the serialized pipeline; refused without the sentinel unless `force`. */
  'pipeline.rebootNode': {
    params: z.object({ cluster: ClusterId, node: NodeName, force: z.boolean().default(false), options: UpdateOverrides.default({}) }),
    result: z.object({ runId: z.string() }),
  },
} as const;
