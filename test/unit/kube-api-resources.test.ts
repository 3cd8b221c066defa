// Resource semantics of the simulated API server: pagination, generation, events in both API groups, custom
// resources from a CRD (status subresource, no strategic merge), namespace termination, graceful pod deletion on a
// node whose kubelet heartbeats.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube-api/server.ts';
import { ContentType, KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { waitFor } from '../support/wait-for.ts';

interface Obj { metadata: { name: string; generation?: number; resourceVersion: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number; uid: string }; spec?: Record<string, unknown>; status?: Record<string, unknown> }
interface List { metadata: { continue?: string; remainingItemCount?: number; resourceVersion: string }; items: Obj[] }
interface Status { reason: string; code: number; message: string }

describe('simulated API server resources', () => {
  let server: KubeApiServer;
  let dir: string;
  let api: KubeRestClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flatdeck-kube-api-res-'));
    server = await startKubeApiServer({ stateDir: dir, port: 0, timeScale: 0.02 });
    writeFileSync(join(dir, 'admin'), server.adminKubeconfig(), { mode: 0o600 });
    api = await KubeRestClient.fromKubeconfigFile(join(dir, 'admin'));
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists page with limit/continue in name order and report the remaining count', async () => {
    for (const n of ['e', 'a', 'd', 'c', 'b']) await api.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `cm-${n}` }, data: { n } });
    const names: string[] = [];
    let token: string | undefined;
    const remaining: Array<number | undefined> = [];
    do {
      const page: List = await api.get<List>(`/api/v1/namespaces/default/configmaps?limit=2${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      names.push(...page.items.map((i) => i.metadata.name));
      remaining.push(page.metadata.remainingItemCount);
      token = page.metadata.continue;
    } while (token);
    assert.deepEqual(names.filter((n) => n.startsWith('cm-')), ['cm-a', 'cm-b', 'cm-c', 'cm-d', 'cm-e']);
    assert.deepEqual(remaining.slice(0, 2), [3, 1]);
    const bad = await api.raw<Status>('GET', '/api/v1/namespaces/default/configmaps?limit=2&continue=garbage');
    assert.equal(bad.status, 400);
  });

  it('bumps metadata.generation on spec changes only', async () => {
    const created = await api.call<Obj>('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'gen' }, spec: { replicas: 0, selector: { matchLabels: { a: 'gen' } }, template: { metadata: { labels: { a: 'gen' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } } },
    });
    assert.equal(created.metadata.generation, 1);
    const labelled = await api.call<Obj>('PATCH', '/apis/apps/v1/namespaces/default/deployments/gen', { metadata: { labels: { x: 'y' } } }, ContentType.merge);
    assert.equal(labelled.metadata.generation, 1);
    const scaled = await api.call<Obj>('PATCH', '/apis/apps/v1/namespaces/default/deployments/gen', { spec: { replicas: 1 } }, ContentType.strategic);
    assert.equal(scaled.metadata.generation, 2);
    await server.settle();
    const settled = await api.get<Obj>('/apis/apps/v1/namespaces/default/deployments/gen');
    const noop = await api.call<Obj>('PATCH', '/apis/apps/v1/namespaces/default/deployments/gen', { spec: { replicas: 1 } }, ContentType.merge);
    assert.equal(noop.metadata.resourceVersion, settled.metadata.resourceVersion, 'a no-op patch writes nothing');
  });

  it('stores events in core/v1 and events.k8s.io/v1 (MicroTime eventTime) and filters them by field', async () => {
    await api.call('POST', '/api/v1/namespaces/default/events', {
      metadata: { name: 'n1.rebooted' }, involvedObject: { kind: 'Node', name: 'n1' }, reason: 'Rebooted', type: 'Warning', message: 'Node n1 has been rebooted',
    });
    const list = await api.get<List>('/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dn1,reason%3DRebooted');
    assert.deepEqual(list.items.map((e) => e.metadata.name), ['n1.rebooted']);
    const created = await api.raw('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      metadata: { name: 'flatdeck.1' }, eventTime: '2026-01-01T00:00:00.123456Z', reportingController: 'flatdeck', reportingInstance: 'a', action: 'Drain', reason: 'Drained', type: 'Normal', regarding: { kind: 'Node', name: 'n1' },
    });
    assert.equal(created.status, 201);
    const bad = await api.raw<Status>('POST', '/apis/events.k8s.io/v1/namespaces/default/events', { metadata: { name: 'flatdeck.2' }, eventTime: '2026-01-01T00:00:00Z' });
    assert.equal(bad.status, 400);
    const unknownField = await api.raw<Status>('GET', '/api/v1/namespaces/default/events?fieldSelector=nope%3D1');
    assert.equal(unknownField.status, 400);
    assert.equal(unknownField.body.message, 'field label not supported: nope');
  });

  it('serves a CRD’s resources: status subresource, generation, 415 for strategic merge, removal with the CRD', async () => {
    await api.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    const path = '/apis/example.com/v1/namespaces/default/widgets';
    const w = await api.call<Obj>('POST', path, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 }, status: { ignored: true } });
    assert.equal(w.status, undefined, 'status is dropped on create when the status subresource exists');
    const viaStatus = await api.call<Obj>('PUT', `${path}/w/status`, { ...w, spec: { size: 99 }, status: { phase: 'ok' } });
    assert.deepEqual(viaStatus.spec, { size: 1 });
    assert.deepEqual(viaStatus.status, { phase: 'ok' });
    const smp = await api.raw<Status>('PATCH', `${path}/w`, { spec: { size: 2 } }, ContentType.strategic);
    assert.equal(smp.status, 415);
    const merged = await api.call<Obj>('PATCH', `${path}/w`, { spec: { size: 2 } }, ContentType.merge);
    assert.equal(merged.metadata.generation, 2);
    const protectedGroup = await api.raw<Status>('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      metadata: { name: 'things.x.k8s.io' }, spec: { group: 'x.k8s.io', scope: 'Cluster', names: { plural: 'things', kind: 'Thing' }, versions: [{ name: 'v1', served: true, storage: true }] },
    });
    assert.equal(protectedGroup.status, 422);
    await api.call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
    assert.equal((await api.raw('GET', path)).status, 404);
  });

  it('a namespace deletion is Terminating first, removes its content, then the namespace', async () => {
    await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await api.call('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'c' } });
    await api.call('DELETE', '/api/v1/namespaces/doomed');
    const ns = await api.get<Obj>('/api/v1/namespaces/doomed');
    assert.ok(ns.metadata.deletionTimestamp);
    const refused = await api.raw<Status & { details?: { causes?: Array<{ reason: string }> } }>('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'late' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.details?.causes?.[0]?.reason, 'NamespaceTerminating');
    await waitFor('namespace gone', async () => (await api.raw('GET', '/api/v1/namespaces/doomed')).status === 404, { timeoutMs: 10_000 });
    assert.equal((await api.raw('GET', '/api/v1/namespaces/doomed/configmaps/c')).status, 404);
  });

  it('deleting a pod on a node with a kubelet Lease is graceful: deletionTimestamp until the kubelet deletes with grace 0', async () => {
    await api.call('POST', '/api/v1/nodes', { metadata: { name: 'k1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await api.call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      metadata: { name: 'k1' }, spec: { holderIdentity: 'k1', leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') },
    });
    const pod = await api.call<Obj>('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'g' }, spec: { nodeName: 'k1', terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'i:1' }] } });
    const deleted = await api.call<Obj>('DELETE', '/api/v1/namespaces/default/pods/g');
    assert.equal(deleted.metadata.deletionGracePeriodSeconds, 30);
    assert.ok(deleted.metadata.deletionTimestamp);
    assert.equal((await api.raw('GET', '/api/v1/namespaces/default/pods/g')).status, 200, 'still there while terminating');
    const wrongUid = await api.raw<Status>('DELETE', '/api/v1/namespaces/default/pods/g', { gracePeriodSeconds: 0, preconditions: { uid: 'other' } });
    assert.equal(wrongUid.status, 409);
    const final = await api.raw('DELETE', '/api/v1/namespaces/default/pods/g', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    assert.equal(final.status, 200);
    assert.equal((await api.raw('GET', '/api/v1/namespaces/default/pods/g')).status, 404);
  });
});
