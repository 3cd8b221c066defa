import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { watchHint } from './watch-hint.ts';

/** The node calls cordon, marks and reboot-wait need; a merge patch always goes out as application/merge-patch+json. */
export interface NodeApi {
  getNode(name: string): Promise<V1Node>;
  listNodes(): Promise<V1Node[]>;
  mergePatchNode(name: string, patch: object): Promise<V1Node>;
  /** Calls `onChange` whenever the Node changes, until `signal` is cancelled; a hint for a poll (watch-hint.ts). */
  watchNode?(name: string, onChange: () => void, signal: AbortSignal): Promise<void>;
}

export function kubeNodeApi(kc: KubeConfig): NodeApi {
  const core = kc.makeApiClient(CoreV1Api);
  return {
    getNode: (name) => core.readNode({ name }),
    listNodes: async () => (await core.listNode()).items,
    mergePatchNode: (name, body) => core.patchNode({ name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    watchNode: (name, onChange, signal) => watchHint(kc, '/api/v1/nodes', `metadata.name=${name}`, () => onChange(), signal),
  };
}
