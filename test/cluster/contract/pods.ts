// Pod listing by node and graceful deletion: a deleted pod carries a deletionTimestamp until the kubelet finishes
// it; a StatefulSet recreates the same name with a new UID (why a drain must compare UIDs, not names).
import assert from 'node:assert/strict';
import { waitFor } from '../../support/wait-for.ts';
import { inNamespace, readyPods, type ContractCase, type KubeList, type Pod } from './helpers.ts';

function statefulSet(ns: string, name: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns },
    spec: {
      serviceName: name,
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 10, containers: [{ name: 'db', image: 'docker.io/library/postgres:17.5' }] },
      },
    },
  };
}

interface Page {
  metadata: { continue?: string; remainingItemCount?: number; resourceVersion: string };
  items: Array<{ metadata: { name: string } }>;
}

export const podCases: ContractCase[] = [
  {
    name: 'pagination: limit/continue walks a list in chunks that add up to the full list',
    async run(t) {
      await inNamespace(t, 'ct-page', async (ns) => {
        const names = ['a', 'b', 'c', 'd', 'e'];
        for (const name of names) {
          await t.admin.call('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { page: 'yes' } }, data: { k: name } });
        }
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const query = `labelSelector=page%3Dyes&limit=2${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
          const page: Page = await t.admin.get(`/api/v1/namespaces/${ns}/configmaps?${query}`);
          pages++;
          assert.ok(page.items.length <= 2);
          // With a label selector the server cannot count what is left, so it omits remainingItemCount.
          assert.equal(page.metadata.remainingItemCount, undefined);
          seen.push(...page.items.map((i) => i.metadata.name));
          token = page.metadata.continue || undefined;
        } while (token);
        assert.equal(pages, 3);
        assert.deepEqual(seen, names);
      });
    },
  },
  {
    name: 'pods: graceful delete sets deletionTimestamp; the StatefulSet recreates the same name with a new UID',
    async run(t) {
      await inNamespace(t, 'ct-sts', async (ns) => {
        await t.admin.call('POST', `/apis/apps/v1/namespaces/${ns}/statefulsets`, statefulSet(ns, 'db'));
        const [pod] = await readyPods(t, ns, 'db', 1);
        assert.ok(pod);
        assert.equal(pod.metadata.name, 'db-0');
        const deleted = await t.admin.call<Pod & { metadata: { deletionGracePeriodSeconds?: number } }>('DELETE', `/api/v1/namespaces/${ns}/pods/db-0`);
        assert.ok(deleted.metadata.deletionTimestamp, 'a graceful delete returns the pod with a deletionTimestamp');
        assert.equal(deleted.metadata.deletionGracePeriodSeconds, 10);
        assert.equal(deleted.metadata.uid, pod.metadata.uid);
        const recreated = await waitFor(
          'db-0 recreated with a new uid',
          async () => {
            const r = await t.admin.raw<Pod>('GET', `/api/v1/namespaces/${ns}/pods/db-0`);
            return r.status === 200 && r.body.metadata.uid !== pod.metadata.uid ? r.body : undefined;
          },
          { timeoutMs: 60_000 },
        );
        assert.notEqual(recreated.metadata.uid, pod.metadata.uid);
        assert.equal(recreated.metadata.deletionTimestamp, undefined);
      });
    },
  },
  {
    name: 'pods: list by fieldSelector spec.nodeName across namespaces returns exactly that node’s pods',
    async run(t) {
      await inNamespace(t, 'ct-list', async (ns) => {
        await t.admin.call('POST', `/apis/apps/v1/namespaces/${ns}/statefulsets`, statefulSet(ns, 'one'));
        const [pod] = await readyPods(t, ns, 'one', 1);
        assert.ok(pod?.spec.nodeName);
        const selector = encodeURIComponent(`spec.nodeName=${pod.spec.nodeName}`);
        const list = await t.admin.get<KubeList<Pod>>(`/api/v1/pods?fieldSelector=${selector}&limit=500`);
        assert.ok(list.items.length >= 1);
        assert.ok(list.items.every((p) => p.spec.nodeName === pod.spec.nodeName));
        assert.ok(list.items.some((p) => p.metadata.uid === pod.metadata.uid));
        const bad = await t.admin.raw<{ reason: string; code: number }>('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.bogus=x')}`);
        assert.equal(bad.status, 400);
        assert.equal(bad.body.reason, 'BadRequest');
      });
    },
  },
];
