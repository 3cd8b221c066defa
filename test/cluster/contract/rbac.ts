// RBAC denials as flatdeck surfaces them: the 403 Status names user, verb, resource (with subresource), API group
// and scope; a binding created at run time takes effect.
import assert from 'node:assert/strict';
import { KubeRestClient } from '../../../sim/kubelet/rest-client.ts';
import { waitFor } from '../../support/wait-for.ts';
import { eviction, evictionPath, inNamespace, type ContractCase, type StatusBody } from './helpers.ts';
import type { ContractTarget } from './target.ts';

async function nobody(t: ContractTarget, user: string): Promise<KubeRestClient> {
  return KubeRestClient.fromKubeconfigFile(await t.userKubeconfig(user, ['contract:testers']));
}

function forbidden(message: string, details: StatusBody['details']) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 };
}

export const rbacCases: ContractCase[] = [
  {
    name: 'rbac: denied cluster-scoped list, namespaced list, patch and eviction give 403 Status bodies naming verb and resource',
    async run(t) {
      const user = 'contract-nobody';
      const client = await nobody(t, user);
      const node = t.nodes[0]?.name ?? 'missing';

      const list = await client.raw('GET', '/api/v1/nodes');
      assert.equal(list.status, 403);
      assert.deepEqual(
        list.body,
        forbidden(`nodes is forbidden: User "${user}" cannot list resource "nodes" in API group "" at the cluster scope`, { kind: 'nodes' }),
      );

      const patch = await client.raw('PATCH', `/api/v1/nodes/${node}`, { spec: { unschedulable: true } }, 'application/merge-patch+json');
      assert.equal(patch.status, 403);
      assert.deepEqual(
        patch.body,
        forbidden(`nodes "${node}" is forbidden: User "${user}" cannot patch resource "nodes" in API group "" at the cluster scope`, { name: node, kind: 'nodes' }),
      );

      const pods = await client.raw('GET', '/api/v1/namespaces/kube-system/pods');
      assert.equal(pods.status, 403);
      assert.deepEqual(
        pods.body,
        forbidden(`pods is forbidden: User "${user}" cannot list resource "pods" in API group "" in the namespace "kube-system"`, { kind: 'pods' }),
      );

      const evict = await client.raw('POST', evictionPath('kube-system', 'coredns-0'), eviction('kube-system', 'coredns-0'));
      assert.equal(evict.status, 403);
      assert.deepEqual(
        evict.body,
        forbidden(
          `pods "coredns-0" is forbidden: User "${user}" cannot create resource "pods/eviction" in API group "" in the namespace "kube-system"`,
          { name: 'coredns-0', kind: 'pods' },
        ),
      );

      const leases = await client.raw('GET', '/apis/coordination.k8s.io/v1/namespaces/flatdeck-system/leases/flatdeck');
      assert.equal(leases.status, 403);
      assert.deepEqual(
        leases.body,
        forbidden(
          `leases.coordination.k8s.io "flatdeck" is forbidden: User "${user}" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "flatdeck-system"`,
          { name: 'flatdeck', group: 'coordination.k8s.io', kind: 'leases' },
        ),
      );
    },
  },
  {
    name: 'rbac: a ClusterRole bound to a group at run time grants exactly its verbs',
    async run(t) {
      const user = 'contract-reader';
      const group = 'contract:readers';
      const client = KubeRestClient.fromKubeconfigFile(await t.userKubeconfig(user, [group]));
      await inNamespace(t, 'ct-rbac', async (ns) => {
        const role = `contract-node-reader-${ns}`;
        await t.admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: role },
          rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }],
        });
        await t.admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: role },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
        });
        try {
          const c = await client;
          await waitFor('the binding to take effect', async () => (await c.raw('GET', '/api/v1/nodes')).status === 200);
          const watch = await c.raw<StatusBody>('GET', '/api/v1/nodes?watch=1&timeoutSeconds=1');
          assert.equal(watch.status, 403, 'watch was not granted');
          assert.equal(watch.body.message, `nodes is forbidden: User "${user}" cannot watch resource "nodes" in API group "" at the cluster scope`);
        } finally {
          await t.admin.raw('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${role}`);
          await t.admin.raw('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`);
        }
      });
    },
  },
];
