// `--fluo`: applies deploy/fluo/fluo.yaml (what flatdeck's auto-update toggle applies) to the API server by
// server-side apply, as field manager flatdeck, so the demo starts with FLUO installed and flatdeck can remove it.
import { readFileSync } from 'node:fs';
import { loadAllYaml } from '@kubernetes/client-node';
import { ContentType, type KubeRestClient } from '../kubelet/rest-client.ts';

const MANIFEST = new URL('../../deploy/fluo/fluo.yaml', import.meta.url);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

const COLLECTIONS: Record<string, string> = {
  Namespace: 'namespaces',
  ServiceAccount: 'serviceaccounts',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  Deployment: 'deployments',
  DaemonSet: 'daemonsets',
};

function pathOf(o: Manifest): string {
  const collection = COLLECTIONS[o.kind];
  if (!collection) throw new Error(`deploy/fluo/fluo.yaml: unexpected kind ${o.kind}`);
  const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  const ns = o.metadata.namespace ? `/namespaces/${encodeURIComponent(o.metadata.namespace)}` : '';
  return `${base}${ns}/${collection}/${encodeURIComponent(o.metadata.name)}`;
}

export async function installFluo(client: KubeRestClient): Promise<void> {
  const objects = loadAllYaml(readFileSync(MANIFEST, 'utf8')) as Manifest[];
  for (const o of objects) await client.call('PATCH', `${pathOf(o)}?fieldManager=flatdeck&force=true`, o, ContentType.apply);
}
