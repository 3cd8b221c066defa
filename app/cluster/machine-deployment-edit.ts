import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { ApiError } from '../api/errors.ts';

const GROUP = 'cluster.k8s.io';
const VERSION = 'v1alpha1';
const PLURAL = 'machinedeployments';

const EditedMachineDeployment = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string() }),
  spec: z.object({
    replicas: z.number().int().nonnegative().default(1),
    template: z.object({
      spec: z.object({
        providerSpec: z.object({
          value: z
            .object({ operatingSystem: z.string().optional(), operatingSystemSpec: z.record(z.string(), z.unknown()).optional() })
            .loose(),
        }),
      }),
    }),
  }),
});
type EditedMachineDeployment = z.infer<typeof EditedMachineDeployment>;

export interface MdRef {
  namespace: string;
  name: string;
}

/** What an edit of the template changes; every one replaces all of the MachineDeployment's nodes. */
export type TemplateEdit = { kind: 'auto-update'; enabled: boolean } | { kind: 'migrate-flatcar' };

/** The merge patch for an edit, or null when the template already says so (no rollout then). */
export function templatePatch(md: EditedMachineDeployment, edit: TemplateEdit): object | null {
  const value = md.spec.template.spec.providerSpec.value;
  const osSpec = value.operatingSystemSpec ?? {};
  if (edit.kind === 'auto-update') {
    if (value.operatingSystem !== 'flatcar') {
      throw new ApiError('invalid-request', `MachineDeployment ${md.metadata.namespace}/${md.metadata.name} runs ${value.operatingSystem ?? 'an unknown OS'}; auto-update applies to Flatcar only (migrate it first).`, {
        machineDeployment: md.metadata.name,
      });
    }
    const disable = !edit.enabled;
    if ((osSpec.disableAutoUpdate ?? false) === disable) return null;
    return { spec: { template: { spec: { providerSpec: { value: { operatingSystemSpec: { disableAutoUpdate: disable } } } } } } };
  }
  if (value.operatingSystem === 'flatcar') return null;
  // A merge patch merges maps: the Ubuntu-only keys (distUpgradeOnBoot, …) must be removed explicitly.
  const cleared = Object.fromEntries(Object.keys(osSpec).map((k) => [k, null]));
  return {
    spec: {
      template: {
        spec: {
          providerSpec: {
            value: { operatingSystem: 'flatcar', operatingSystemSpec: { ...cleared, disableAutoUpdate: false, provisioningUtility: 'ignition' } },
          },
        },
      },
    },
  };
}

/**
 * Changes the MachineDeployment's template, which makes machine-controller replace every node in it (rolling,
 * maxSurge 1). The caller must confirm with the number of nodes that will be replaced (the current replicas);
 * a stale or missing confirmation is refused instead of applied.
 */
export async function editMachineDeployment(kc: KubeConfig, ref: MdRef, edit: TemplateEdit, confirmReplacesNodes: number): Promise<{ changed: boolean; replicas: number }> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const raw: unknown = await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ref.namespace, name: ref.name });
  const parsed = EditedMachineDeployment.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError('api-error', `MachineDeployment ${ref.namespace}/${ref.name} has no spec.template.spec.providerSpec.value to edit.`, { machineDeployment: ref.name });
  }
  const md = parsed.data;
  const patch = templatePatch(md, edit);
  if (!patch) return { changed: false, replicas: md.spec.replicas };
  if (confirmReplacesNodes !== md.spec.replicas) {
    throw new ApiError(
      'invalid-request',
      `This edit replaces all ${md.spec.replicas} node(s) of MachineDeployment ${ref.namespace}/${ref.name} (rolling, one at a time); confirm with ${md.spec.replicas}, not ${confirmReplacesNodes}.`,
      { machineDeployment: ref.name, replicas: md.spec.replicas, confirmed: confirmReplacesNodes },
    );
  }
  await api.patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, plural: PLURAL, namespace: ref.namespace, name: ref.name, body: patch, fieldManager: 'flatdeck' },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return { changed: true, replicas: md.spec.replicas };
}
