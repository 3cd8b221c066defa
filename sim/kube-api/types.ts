// The slices of Kubernetes object shapes the simulator reads. Stored objects are frozen JSON.

export interface OwnerReference {
  apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  generateName?: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface Condition { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastHeartbeatTime?: string; lastProbeTime?: string | null; observedGeneration?: number }
export interface Taint { key: string; value?: string; effect: string; timeAdded?: string }
export interface Toleration { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface NodeSelectorTerm {
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
  matchFields?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  containers?: Array<{ name: string; image?: string; [k: string]: unknown }>;
  initContainers?: Array<{ name: string; [k: string]: unknown }>;
  volumes?: Array<{ name: string; emptyDir?: unknown; [k: string]: unknown }>;
  terminationGracePeriodSeconds?: number;
  schedulerName?: string;
  hostname?: string;
  subdomain?: string;
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } };
  [k: string]: unknown;
}

export interface PodStatus {
  phase?: string;
  conditions?: Condition[];
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  hostIP?: string;
  hostIPs?: Array<{ ip: string }>;
  startTime?: string;
  reason?: string;
  message?: string;
  qosClass?: string;
  containerStatuses?: Array<{ name: string; ready: boolean; restartCount: number; state?: Record<string, unknown>; [k: string]: unknown }>;
  initContainerStatuses?: Array<{ name: string; ready: boolean; restartCount: number; state?: Record<string, unknown> }>;
  [k: string]: unknown;
}

export interface Pod extends KubeObject { spec: PodSpec; status?: PodStatus }

export interface NodeStatus {
  conditions?: Condition[];
  addresses?: Array<{ type: string; address: string }>;
  nodeInfo?: Record<string, string>;
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  [k: string]: unknown;
}
export interface Node extends KubeObject { spec?: { unschedulable?: boolean; taints?: Taint[]; [k: string]: unknown }; status?: NodeStatus }

export interface PodTemplate { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown }; spec: PodSpec }

export interface Workload extends KubeObject {
  spec: { replicas?: number; selector?: LabelSelector; template: PodTemplate; [k: string]: unknown };
  status?: Record<string, unknown>;
}

export interface Pdb extends KubeObject {
  spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: LabelSelector | null; unhealthyPodEvictionPolicy?: string };
  status?: {
    currentHealthy?: number; desiredHealthy?: number; disruptionsAllowed?: number; expectedPods?: number;
    observedGeneration?: number; disruptedPods?: Record<string, string>; conditions?: Condition[];
  };
}

export interface PolicyRule {
  verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; nonResourceURLs?: string[];
}
export interface Subject { kind: string; name: string; namespace?: string; apiGroup?: string }
export interface RoleBinding extends KubeObject { roleRef: { apiGroup: string; kind: string; name: string }; subjects?: Subject[] }
export interface Role extends KubeObject { rules?: PolicyRule[]; aggregationRule?: { clusterRoleSelectors?: LabelSelector[] } }
