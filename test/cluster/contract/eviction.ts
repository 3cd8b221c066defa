// The eviction subresource with PodDisruptionBudgets computed by the disruption controller, and what a drain
// sees afterwards: the evicted ReplicaSet pod is terminated by the kubelet and replaced under a new name.
import assert from 'node:assert/strict';
import { waitFor } from '../../support/wait-for.ts';
import { deployment, eviction, evictionPath, inNamespace, pdb, pdbAllows, readyPods, type ContractCase, type StatusBody } from './helpers.ts';

export const evictionCases: ContractCase[] = [
  {
    name: 'eviction: allowed by the PDB → 201; the pod terminates and the ReplicaSet replaces it',
    async run(t) {
      await inNamespace(t, 'ct-evict', async (ns) => {
        await t.admin.call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment(ns, 'web', 2));
        await t.admin.call('POST', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, pdb(ns, 'web', 'web', { maxUnavailable: 1 }));
        const [victim] = await readyPods(t, ns, 'web', 2);
        assert.ok(victim);
        await pdbAllows(t, ns, 'web', 1);
        const res = await t.admin.raw<StatusBody>('POST', evictionPath(ns, victim.metadata.name), eviction(ns, victim.metadata.name));
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.kind, 'Status');
        assert.equal(res.body.status, 'Success');
        await waitFor(`evicted pod ${victim.metadata.name} gone`, async () => {
          const r = await t.admin.raw('GET', `/api/v1/namespaces/${ns}/pods/${victim.metadata.name}`);
          return r.status === 404;
        }, { timeoutMs: 60_000 });
        const replaced = await readyPods(t, ns, 'web', 2);
        assert.ok(replaced.every((p) => p.metadata.name !== victim.metadata.name), 'a new pod replaced the evicted one');
      });
    },
  },
  {
    name: 'eviction: a PDB allowing 0 disruptions → 429 TooManyRequests with a DisruptionBudget cause',
    async run(t) {
      await inNamespace(t, 'ct-evict0', async (ns) => {
        await t.admin.call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment(ns, 'api', 2));
        await t.admin.call('POST', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, pdb(ns, 'api', 'api', { minAvailable: 2 }));
        const [victim] = await readyPods(t, ns, 'api', 2);
        assert.ok(victim);
        await pdbAllows(t, ns, 'api', 0);
        const res = await t.admin.raw<StatusBody>('POST', evictionPath(ns, victim.metadata.name), eviction(ns, victim.metadata.name));
        assert.equal(res.status, 429);
        assert.equal(res.body.kind, 'Status');
        assert.equal(res.body.reason, 'TooManyRequests');
        assert.equal(res.body.code, 429);
        assert.equal(res.body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
        assert.deepEqual(res.body.details?.causes, [
          { reason: 'DisruptionBudget', message: 'The disruption budget api needs 2 healthy pods and has 2 currently' },
        ]);
        const still = await t.admin.raw('GET', `/api/v1/namespaces/${ns}/pods/${victim.metadata.name}`);
        assert.equal(still.status, 200, 'the pod was not evicted');
      });
    },
  },
  {
    name: 'eviction: a pod covered by two PDBs → 500 with a reason-less Status',
    async run(t) {
      await inNamespace(t, 'ct-evict2', async (ns) => {
        await t.admin.call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment(ns, 'db', 1));
        await t.admin.call('POST', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, pdb(ns, 'db-a', 'db', { maxUnavailable: 1 }));
        await t.admin.call('POST', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, pdb(ns, 'db-b', 'db', { maxUnavailable: 1 }));
        const [victim] = await readyPods(t, ns, 'db', 1);
        assert.ok(victim);
        const res = await t.admin.raw<StatusBody>('POST', evictionPath(ns, victim.metadata.name), eviction(ns, victim.metadata.name));
        assert.equal(res.status, 500);
        // kube-apiserver returns this Status itself: no reason, no details.
        assert.deepEqual(res.body, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
          code: 500,
        });
      });
    },
  },
  {
    name: 'eviction: dryRun=All answers as a real eviction would (201, then 429 at the budget) and deletes nothing',
    async run(t) {
      await inNamespace(t, 'ct-evictdry', async (ns) => {
        await t.admin.call('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment(ns, 'shop', 2));
        await t.admin.call('POST', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, pdb(ns, 'shop', 'shop', { maxUnavailable: 1 }));
        const pods = await readyPods(t, ns, 'shop', 2);
        await pdbAllows(t, ns, 'shop', 1);
        for (const pod of pods) {
          const res = await t.admin.raw<StatusBody>('POST', `${evictionPath(ns, pod.metadata.name)}?dryRun=All`, eviction(ns, pod.metadata.name));
          assert.equal(res.status, 201, JSON.stringify(res.body));
        }
        await t.admin.call('PATCH', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/shop`, { spec: { maxUnavailable: 0 } }, 'application/merge-patch+json');
        await pdbAllows(t, ns, 'shop', 0);
        const blocked = await t.admin.raw<StatusBody>('POST', `${evictionPath(ns, pods[0]!.metadata.name)}?dryRun=All`, eviction(ns, pods[0]!.metadata.name));
        assert.equal(blocked.status, 429);
        const after = await readyPods(t, ns, 'shop', 2);
        assert.deepEqual(after.map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort(), 'dry runs evicted nothing');
      });
    },
  },
  {
    name: 'eviction: a missing pod → 404 NotFound',
    async run(t) {
      await inNamespace(t, 'ct-evict404', async (ns) => {
        const res = await t.admin.raw<StatusBody>('POST', evictionPath(ns, 'ghost'), eviction(ns, 'ghost'));
        assert.equal(res.status, 404);
        assert.equal(res.body.reason, 'NotFound');
        assert.equal(res.body.message, 'pods "ghost" not found');
      });
    },
  },
];
