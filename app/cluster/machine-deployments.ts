import { z } from 'zod';
import type { MachineDeploymentSummary } from '../api/auto-update.ts';
import { machineKeys } from './node-keys.ts';

/**
 * A Node points at its Machine (node-keys.ts `machineKeys`), and the machine-controller records the node in the
 * Machine's `status.nodeRef`. The Machine is owned by a MachineSet, which is owned by the MachineDeployment.
 */

export const MACHINE_API = '/apis/cluster.k8s.io/v1alpha1';

/** How a node points at its Machine. */
export type MachineRef = { by: 'uid'; uid: string } | { by: 'name'; namespace: string; name: string };

export function machineRefOf(labels: Readonly<Record<string, string>> | undefined, annotations: Readonly<Record<string, string>> | undefined): MachineRef | null {
  const uid = labels?.[machineKeys.ownerLabel];
  if (uid) return { by: 'uid', uid };
  const ref = annotations?.[machineKeys.machineAnnotation];
  if (ref) {
    const slash = ref.indexOf('/');
    return slash > 0 ? { by: 'name', namespace: ref.slice(0, slash), name: ref.slice(slash + 1) } : { by: 'name', namespace: 'kube-system', name: ref };
  }
  return null;
}

const OwnerReference = z.object({ kind: z.string(), name: z.string(), controller: z.boolean().optional() });
const ObjectMeta = z.object({
  name: z.string(),
  namespace: z.string().default(''),
  uid: z.string().default(''),
  ownerReferences: z.array(OwnerReference).default([]),
});
const OwnedObject = z.object({ metadata: ObjectMeta });
const MachineObject = OwnedObject.extend({ status: z.object({ nodeRef: z.object({ name: z.string() }).optional() }).optional() });
const OwnedList = z.object({ items: z.array(z.unknown()).default([]) });

function controllerOf(meta: z.infer<typeof ObjectMeta>, kind: string): string | null {
  const refs = meta.ownerReferences.filter((r) => r.kind === kind);
  return (refs.find((r) => r.controller) ?? refs[0])?.name ?? null;
}

/** Machine → MachineDeployment name, indexed both ways a node can point at its Machine. */
export class MachineOwnership {
  private readonly byUid = new Map<string, string>();
  private readonly byName = new Map<string, string>();
  private readonly byNode = new Map<string, string>();

  static empty(): MachineOwnership {
    return new MachineOwnership();
  }

  /** Items that do not look like Machines/MachineSets are skipped rather than failing the whole index. */
  static build(machines: readonly unknown[], machineSets: readonly unknown[]): MachineOwnership {
    const own = new MachineOwnership();
    const mdOfSet = new Map<string, string>();
    for (const raw of machineSets) {
      const ms = OwnedObject.safeParse(raw);
      if (!ms.success) continue;
      const md = controllerOf(ms.data.metadata, 'MachineDeployment');
      if (md) mdOfSet.set(`${ms.data.metadata.namespace}/${ms.data.metadata.name}`, md);
    }
    for (const raw of machines) {
      const m = MachineObject.safeParse(raw);
      if (!m.success) continue;
      const meta = m.data.metadata;
      const set = controllerOf(meta, 'MachineSet');
      const md = set ? mdOfSet.get(`${meta.namespace}/${set}`) : undefined;
      if (!md) continue;
      if (meta.uid) own.byUid.set(meta.uid, md);
      own.byName.set(`${meta.namespace}/${meta.name}`, md);
      const node = m.data.status?.nodeRef?.name;
      if (node) own.byNode.set(node, md);
    }
    return own;
  }

  /** The node's own pointer first, then the Machine's `status.nodeRef`. */
  resolve(ref: MachineRef | null, nodeName?: string): string | null {
    const byRef = !ref ? undefined : ref.by === 'uid' ? this.byUid.get(ref.uid) : this.byName.get(`${ref.namespace}/${ref.name}`);
    return byRef ?? (nodeName === undefined ? undefined : this.byNode.get(nodeName)) ?? null;
  }

  get size(): number {
    return this.byName.size;
  }

  equals(other: MachineOwnership): boolean {
    const maps = [
      [this.byUid, other.byUid],
      [this.byName, other.byName],
      [this.byNode, other.byNode],
    ] as const;
    for (const [mine, theirs] of maps) {
      if (mine.size !== theirs.size) return false;
      for (const [k, v] of mine) if (theirs.get(k) !== v) return false;
    }
    return true;
  }
}

/** What the reading code needs from a connection: GET a JSON path, null when the resource type is not installed. */
export type GetJsonOrNull = (path: string) => Promise<unknown>;

export async function loadMachineOwnership(getJsonOrNull: GetJsonOrNull): Promise<MachineOwnership> {
  const [machines, sets] = await Promise.all([getJsonOrNull(`${MACHINE_API}/machines`), getJsonOrNull(`${MACHINE_API}/machinesets`)]);
  if (machines === null || sets === null) return MachineOwnership.empty();
  return MachineOwnership.build(OwnedList.parse(machines).items, OwnedList.parse(sets).items);
}

const MachineDeploymentObject = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string().default('') }),
  spec: z
    .object({
      replicas: z.number().int().nonnegative().optional(),
      template: z
        .object({
          spec: z
            .object({
              providerSpec: z
                .object({
                  value: z
                    .object({
                      operatingSystem: z.string().optional(),
                      operatingSystemSpec: z.object({ disableAutoUpdate: z.boolean().optional() }).optional(),
                    })
                    .optional(),
                })
                .optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
  status: z
    .object({ updatedReplicas: z.number().int().nonnegative().optional(), readyReplicas: z.number().int().nonnegative().optional() })
    .optional(),
});

/** One MachineDeployment object as the API contract shows it; `nodes` are the inventory's nodes owned by it. */
export function summarizeMachineDeployment(raw: unknown, nodes: readonly string[]): MachineDeploymentSummary {
  const md = MachineDeploymentObject.parse(raw);
  const value = md.spec?.template?.spec?.providerSpec?.value;
  return {
    name: md.metadata.name,
    namespace: md.metadata.namespace,
    operatingSystem: value?.operatingSystem ?? 'unknown',
    disableAutoUpdate: value?.operatingSystemSpec?.disableAutoUpdate ?? false,
    replicas: md.spec?.replicas ?? 0,
    updatedReplicas: md.status?.updatedReplicas ?? 0,
    readyReplicas: md.status?.readyReplicas ?? 0,
    nodes: [...nodes].sort(),
  };
}

/** All MachineDeployments of the cluster (empty when the machine-controller CRDs are not installed). */
export async function listMachineDeployments(
  getJsonOrNull: GetJsonOrNull,
  nodesOf: (mdName: string) => readonly string[],
): Promise<MachineDeploymentSummary[]> {
  const list = await getJsonOrNull(`${MACHINE_API}/machinedeployments`);
  if (list === null) return [];
  return OwnedList.parse(list).items.map((raw) => {
    const name = OwnedObject.safeParse(raw).data?.metadata.name ?? '';
    return summarizeMachineDeployment(raw, nodesOf(name));
  });
}
