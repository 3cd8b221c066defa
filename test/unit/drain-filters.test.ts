import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { classifyPod, hasErrors, planDrain, selectorMatches, type DrainPolicy } from '../../app/cluster/drain-filters.ts';

const now = new Date('2026-11-26T12:00:00Z');
const refuse: DrainPolicy = { emptyDirPolicy: 'refuse', unmanagedPodPolicy: 'refuse', skipDeletedAfterSeconds: null };

function pod(name: string, extra: { owner?: string; emptyDir?: boolean; mirror?: boolean; phase?: string; labels?: Record<string, string>; deletedAt?: string; finalizers?: string[]; ready?: boolean } = {}): V1Pod {
  return {
    metadata: {
      name,
      namespace: 'shop',
      labels: extra.labels ?? {},
      ...(extra.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: extra.owner, name: `${name}-owner`, uid: 'u', controller: true }] } : {}),
      ...(extra.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'abc' } } : {}),
      ...(extra.deletedAt ? { deletionTimestamp: new Date(extra.deletedAt) } : {}),
      ...(extra.finalizers ? { finalizers: extra.finalizers } : {}),
    },
    spec: { containers: [{ name: 'c' }], ...(extra.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}) },
    status: { phase: extra.phase ?? 'Running', conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True' }] },
  };
}

function pdb(name: string, matchLabels: Record<string, string>, allowed: number): V1PodDisruptionBudget {
  return { metadata: { name, namespace: 'shop' }, spec: { selector: { matchLabels } }, status: { disruptionsAllowed: allowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
}

describe('drain pod classification (kubectl filter order)', () => {
  it('skips a DaemonSet pod even when it also uses emptyDir, because the DaemonSet rule comes first', () => {
    const c = classifyPod(pod('agent', { owner: 'DaemonSet', emptyDir: true }), refuse, now);
    assert.equal(c.plan.action, 'skip-daemonset');
    assert.deepEqual(c.blockers, []);
  });

  it('evicts a finished DaemonSet pod', () => {
    assert.equal(classifyPod(pod('job', { owner: 'DaemonSet', phase: 'Succeeded' }), refuse, now).plan.action, 'evict');
  });

  it('skips a mirror pod before looking at its storage', () => {
    const c = classifyPod(pod('etcd', { mirror: true, emptyDir: true }), refuse, now);
    assert.equal(c.plan.action, 'skip-mirror');
    assert.deepEqual(c.blockers, []);
  });

  it('refuses an emptyDir pod by default and names it; allows it by policy', () => {
    const refused = classifyPod(pod('cache', { owner: 'ReplicaSet', emptyDir: true }), refuse, now);
    assert.equal(refused.blockers[0]?.kind, 'emptydir-pod');
    assert.equal(refused.blockers[0]?.pod, 'shop/cache');
    const allowed = classifyPod(pod('cache', { owner: 'ReplicaSet', emptyDir: true }), { ...refuse, emptyDirPolicy: 'delete' }, now);
    assert.equal(allowed.plan.action, 'delete-emptydir');
    assert.deepEqual(allowed.blockers, []);
  });

  it('reports an unmanaged emptyDir pod as an emptyDir blocker (storage rule runs before the controller rule)', () => {
    const c = classifyPod(pod('bare', { emptyDir: true }), refuse, now);
    assert.deepEqual(c.blockers.map((b) => b.kind), ['emptydir-pod']);
  });

  it('refuses a pod without controller unless the policy allows deleting it', () => {
    assert.equal(classifyPod(pod('bare'), refuse, now).blockers[0]?.kind, 'unmanaged-pod');
    assert.equal(classifyPod(pod('bare'), { ...refuse, unmanagedPodPolicy: 'delete' }, now).plan.action, 'delete-unmanaged');
    assert.equal(classifyPod(pod('done', { phase: 'Failed' }), refuse, now).plan.action, 'evict');
  });

  it('skips pods terminating longer than the skip-deleted threshold, first of all rules', () => {
    const p = pod('stuck', { deletedAt: '2026-11-26T11:50:00Z' });
    assert.equal(classifyPod(p, { ...refuse, skipDeletedAfterSeconds: 60 }, now).plan.action, 'skip-finished');
    assert.equal(classifyPod(p, refuse, now).plan.action, 'delete-unmanaged');
  });
});

describe('drain plan blockers', () => {
  it('lists a PDB allowing 0 disruptions and a pod matched by two PDBs, naming pod and PDB', () => {
    const pods = [pod('web-1', { owner: 'ReplicaSet', labels: { app: 'web' } }), pod('db-0', { owner: 'StatefulSet', labels: { app: 'db', tier: 'data' } })];
    const pdbs = [pdb('web', { app: 'web' }, 0), pdb('db', { app: 'db' }, 1), pdb('data', { tier: 'data' }, 1)];
    const plan = planDrain(pods, pdbs, refuse, now);
    assert.deepEqual(plan.blockers.map((b) => [b.kind, b.pod, b.pdb]), [
      ['pdb-zero', 'shop/web-1', 'shop/web'],
      ['multi-pdb', 'shop/db-0', 'shop/db,shop/data'],
    ]);
    assert.deepEqual(plan.blockers.map((b) => b.severity), ['warning', 'error'], 'a PDB at 0 may be transient; two PDBs never work');
    assert.equal(hasErrors(plan.blockers), true);
  });

  it('warns (without blocking) about finalizers and unhealthy PDB-guarded pods', () => {
    const pods = [pod('w', { owner: 'ReplicaSet', labels: { app: 'w' }, finalizers: ['example.com/keep'], ready: false })];
    const plan = planDrain(pods, [pdb('w', { app: 'w' }, 1)], refuse, now);
    assert.deepEqual(plan.blockers.map((b) => [b.kind, b.severity]), [
      ['unhealthy-pdb', 'warning'],
      ['finalizer', 'warning'],
    ]);
    assert.equal(hasErrors(plan.blockers), false);
    assert.equal(plan.toRemove.length, 1);
  });

  it('matches selectors with policy/v1 semantics', () => {
    assert.equal(selectorMatches(undefined, { a: '1' }), false);
    assert.equal(selectorMatches({}, { a: '1' }), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '1' }), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {}), true);
  });
});
