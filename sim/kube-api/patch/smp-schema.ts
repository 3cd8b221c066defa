// Patch metadata (patchStrategy / patchMergeKey struct tags of the Kubernetes Go types) that strategic merge
// patch needs. Lists not described here are atomic (replaced whole), as for fields without the tags.

export interface SmpSchema {
  fields?: Record<string, SmpSchema>;
  /** the field is a list with patchStrategy=merge; `key` is its patchMergeKey (absent for primitive lists) */
  list?: { key?: string };
  /** the schema of each list element */
  items?: SmpSchema;
  /** patchStrategy=retainKeys (unions such as volumes and deployment strategy) */
  retainKeys?: boolean;
}

const byKey = (key: string, items?: SmpSchema): SmpSchema => ({ list: { key }, ...(items ? { items } : {}) });
const conditions = byKey('type');

const objectMeta: SmpSchema = {
  fields: { finalizers: { list: {} }, ownerReferences: byKey('uid') },
};

const container: SmpSchema = {
  fields: {
    ports: byKey('containerPort'),
    env: byKey('name'),
    volumeMounts: byKey('mountPath'),
    volumeDevices: byKey('devicePath'),
  },
};

const podSpec: SmpSchema = {
  fields: {
    containers: byKey('name', container),
    initContainers: byKey('name', container),
    ephemeralContainers: byKey('name', container),
    volumes: { list: { key: 'name' }, items: { retainKeys: true } },
    imagePullSecrets: byKey('name'),
    hostAliases: byKey('ip'),
  },
};

const podTemplate: SmpSchema = { fields: { metadata: objectMeta, spec: podSpec } };

const workload = (extraSpec: Record<string, SmpSchema> = {}): SmpSchema => ({
  fields: {
    metadata: objectMeta,
    spec: { fields: { template: podTemplate, ...extraSpec } },
    status: { fields: { conditions } },
  },
});

export const smpSchemas: Record<string, SmpSchema> = {
  Pod: {
    fields: {
      metadata: objectMeta,
      spec: podSpec,
      status: { fields: { conditions, podIPs: byKey('ip'), hostIPs: byKey('ip') } },
    },
  },
  Node: {
    fields: {
      metadata: objectMeta,
      spec: { fields: { podCIDRs: { list: {} } } },
      status: { fields: { conditions, addresses: byKey('type') } },
    },
  },
  Namespace: { fields: { metadata: objectMeta, status: { fields: { conditions } } } },
  Deployment: workload({ strategy: { retainKeys: true } }),
  ReplicaSet: workload(),
  DaemonSet: workload(),
  StatefulSet: workload(),
  PodDisruptionBudget: { fields: { metadata: objectMeta, status: { fields: { conditions } } } },
  Service: { fields: { metadata: objectMeta, spec: { fields: { ports: byKey('port') } }, status: { fields: { conditions } } } },
  ServiceAccount: { fields: { metadata: objectMeta, secrets: byKey('name') } },
};
