// The simulated API server over HTTPS: eviction answers (201/429/500/404), Lease conflicts and MicroTime
// decoding, watch resume / 410 Gone / bookmarks, RBAC 403 bodies, media-type errors, injected faults, and a fuzz
// run proving that no request makes the server answer with anything but an object or a Status.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube-api/server.ts';
import { ContentType, KubeRestClient, type WatchEvent } from '../../sim/kubelet/rest-client.ts';
import { waitFor } from '../support/wait-for.ts';

interface Status { kind: string; status: string; message: string; reason: string; code: number; details?: { name?: string; group?: string; kind?: string; retryAfterSeconds?: number; causes?: Array<{ reason?: string; message?: string; field?: string }> } }
interface Meta { metadata: { name: string; resourceVersion: string; uid: string; [k: string]: unknown } }

describe('simulated kube-apiserver over HTTPS', () => {
  let server: KubeApiServer;
  let dir: string;
  let admin: KubeRestClient;
  let clientFor: (user: string, groups?: string[]) => Promise<KubeRestClient>;

  const node = (name: string) => ({
    apiVersion: 'v1', kind: 'Node', metadata: { name },
    status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '127.0.0.9' }] },
  });
  const pod = (name: string, labels: Record<string, string>, nodeName?: string) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36' }], ...(nodeName ? { nodeName } : {}) },
  });
  const pdb = (name: string, selector: Record<string, string>, minAvailable: number) => ({
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { minAvailable, selector: { matchLabels: selector } },
  });
  const evict = (ns: string, name: string) => admin.raw<Status>('POST', `/api/v1/namespaces/${ns}/pods/${name}/eviction`,
    { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } });
  const running = (ns: string, name: string) => waitFor(`${name} running`, async () =>
    (await admin.get<{ status?: { phase?: string } }>(`/api/v1/namespaces/${ns}/pods/${name}`)).status?.phase === 'Running');
  const pdbSettled = (ns: string, name: string, healthy: number) => waitFor(`${name} healthy ${healthy}`, async () =>
    (await admin.get<{ status?: { currentHealthy?: number } }>(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}`)).status?.currentHealthy === healthy);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flatdeck-kube-api-'));
    server = await startKubeApiServer({ stateDir: dir, port: 0, timeScale: 0.05, bookmarkIntervalMs: 200 });
    const write = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    };
    admin = await KubeRestClient.fromKubeconfigFile(write('admin', server.adminKubeconfig()));
    clientFor = (user, groups) => KubeRestClient.fromKubeconfigFile(write(user, server.userKubeconfig(user, groups)));
    await admin.call('POST', '/api/v1/nodes', node('n1'));
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('eviction', () => {
    it('201 with a Success Status when the PDB allows; the pod on a kubelet-less node is gone', async () => {
      await admin.call('POST', '/api/v1/namespaces/default/pods', pod('e1', { app: 'e' }, 'n1'));
      await admin.call('POST', '/api/v1/namespaces/default/pods', pod('e2', { app: 'e' }, 'n1'));
      await admin.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', pdb('e', { app: 'e' }, 1));
      await running('default', 'e1');
      await running('default', 'e2');
      await pdbSettled('default', 'e', 2);
      const res = await evict('default', 'e1');
      assert.equal(res.status, 201);
      assert.deepEqual(res.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      assert.equal((await admin.raw('GET', '/api/v1/namespaces/default/pods/e1')).status, 404);
    });

    it('429 TooManyRequests with the DisruptionBudget cause when no disruption is allowed', async () => {
      await pdbSettled('default', 'e', 1);
      const res = await evict('default', 'e2');
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], undefined, 'retryAfterSeconds 0 sends no Retry-After header');
      assert.equal(res.body.reason, 'TooManyRequests');
      assert.equal(res.body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
      assert.deepEqual(res.body.details?.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget e needs 1 healthy pods and has 1 currently' }]);
    });

    it('500 when two PDBs cover the pod; 404 for a missing pod', async () => {
      await admin.call('POST', '/api/v1/namespaces/default/pods', pod('m1', { app: 'm', tier: 'x' }, 'n1'));
      await admin.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', pdb('m-app', { app: 'm' }, 0));
      await admin.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', pdb('m-tier', { tier: 'x' }, 0));
      await running('default', 'm1');
      const res = await evict('default', 'm1');
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500,
        message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      });
      const missing = await evict('default', 'nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.message, 'pods "nope" not found');
      assert.deepEqual(missing.body.details, { name: 'nope', kind: 'pods' });
    });

    it('pdbNeverAllows blocks a PDB that would allow, and a Pending pod bypasses the budget', async () => {
      await admin.call('POST', '/api/v1/namespaces/default/pods', pod('f1', { app: 'f' }, 'n1'));
      await admin.call('POST', '/api/v1/namespaces/default/pods', pod('f2', { app: 'f' }, 'n1'));
      await admin.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', pdb('f', { app: 'f' }, 0));
      await running('default', 'f1');
      await running('default', 'f2');
      await pdbSettled('default', 'f', 2);
      server.faults.pdbNeverAllows('default', 'f');
      await waitFor('the blocked PDB reports no allowed disruption', async () =>
        (await admin.get<{ status: { disruptionsAllowed: number; currentHealthy: number } }>('/apis/policy/v1/namespaces/default/poddisruptionbudgets/f')).status.disruptionsAllowed === 0);
      assert.equal((await evict('default', 'f1')).status, 429);
      server.faults.allowPdb('default', 'f');
      await waitFor('f allows again', async () => (await evict('default', 'f1')).status === 201);
      const unschedulable = pod('pending', { app: 'f' });
      await admin.call('POST', '/api/v1/namespaces/default/pods', { ...unschedulable, spec: { ...unschedulable.spec, nodeSelector: { pool: 'none' } } });
      await waitFor('scheduling failed', async () => (await admin.get<{ status?: { conditions?: Array<{ reason?: string }> } }>('/api/v1/namespaces/default/pods/pending'))
        .status?.conditions?.some((c) => c.reason === 'Unschedulable'));
      server.faults.pdbNeverAllows('default', 'f');
      const res = await evict('default', 'pending');
      server.faults.allowPdb('default', 'f');
      assert.equal(res.status, 201, 'unscheduled (Pending) pods are not guarded by PDBs');
    });
  });

  describe('leases', () => {
    const lease = (renewTime: string) => ({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'flatdeck-lock', namespace: 'kube-system' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime, acquireTime: renewTime },
    });
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';

    it('create 201, create again 409 AlreadyExists, PUT with a stale resourceVersion 409 Conflict', async () => {
      const created = await admin.raw<Meta>('POST', path, lease('2026-01-01T00:00:00.000000Z'));
      assert.equal(created.status, 201);
      const again = await admin.raw<Status>('POST', path, lease('2026-01-01T00:00:00.000000Z'));
      assert.equal(again.status, 409);
      assert.equal(again.body.reason, 'AlreadyExists');
      assert.equal(again.body.message, 'leases.coordination.k8s.io "flatdeck-lock" already exists');
      const first = { ...lease('2026-01-01T00:00:01.000000Z'), metadata: { ...created.body.metadata } };
      const ok = await admin.raw<Meta>('PUT', `${path}/flatdeck-lock`, first);
      assert.equal(ok.status, 200);
      assert.ok(Number(ok.body.metadata.resourceVersion) > Number(created.body.metadata.resourceVersion));
      const stale = await admin.raw<Status>('PUT', `${path}/flatdeck-lock`, { ...first, spec: { ...first.spec, holderIdentity: 'b' } });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.reason, 'Conflict');
      assert.equal(stale.body.message, 'Operation cannot be fulfilled on leases.coordination.k8s.io "flatdeck-lock": the object has been modified; please apply your changes to the latest version and try again');
    });

    it('a renewTime with three fractional digits (a plain Date) is rejected with 400 BadRequest', async () => {
      const res = await admin.raw<Status>('POST', path, { ...lease('2026-01-01T00:00:00.000Z'), metadata: { name: 'bad', namespace: 'kube-system' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.reason, 'BadRequest');
      assert.match(res.body.message, /^Lease in version "v1" cannot be handled as a Lease: parsing time "2026-01-01T00:00:00.000Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "\.000Z" as "\.000000"$/);
    });
  });

  describe('watch', () => {
    it('resumes from a resourceVersion, sends bookmarks, and answers a compacted one with an ERROR 410 event', async () => {
      const list = await admin.get<{ metadata: { resourceVersion: string } }>('/api/v1/nodes');
      await admin.call('POST', '/api/v1/nodes', node('w1'));
      await admin.call('PATCH', '/api/v1/nodes/w1', { metadata: { labels: { x: 'y' } } }, ContentType.merge);
      await admin.call('DELETE', '/api/v1/nodes/w1');
      const events: Array<WatchEvent<Meta>> = [];
      const w = admin.watch<Meta>(`/api/v1/nodes?watch=1&resourceVersion=${list.metadata.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=2`, (e) => events.push(e));
      await waitFor('a bookmark', () => events.some((e) => e.type === 'BOOKMARK'), { timeoutMs: 5000, intervalMs: 20 });
      w.abort();
      const changes = events.filter((e) => e.type !== 'BOOKMARK' && e.object.metadata.name === 'w1');
      assert.deepEqual(changes.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
      const rvs = changes.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b));
      const bookmark = events.find((e) => e.type === 'BOOKMARK');
      assert.ok(Number(bookmark?.object.metadata.resourceVersion) >= (rvs[2] ?? 0));

      const gone: Array<WatchEvent<Status>> = [];
      await admin.watch<Status>('/api/v1/nodes?watch=1&resourceVersion=1', (e) => gone.push(e)).done;
      assert.equal(gone.length, 1);
      assert.equal(gone[0]?.type, 'ERROR');
      assert.equal(gone[0]?.object.code, 410);
      assert.equal(gone[0]?.object.reason, 'Expired');
      assert.match(gone[0]?.object.message ?? '', /^too old resource version: 1 \(\d+\)$/);
    });

    it('delivers DELETED when an object leaves a label-selected watch', async () => {
      await admin.call('POST', '/api/v1/nodes', { ...node('sel'), metadata: { name: 'sel', labels: { pool: 'a' } } });
      const events: Array<WatchEvent<Meta>> = [];
      const w = admin.watch<Meta>('/api/v1/nodes?watch=1&labelSelector=pool%3Da', (e) => events.push(e));
      await waitFor('initial ADDED', () => events.some((e) => e.type === 'ADDED'), { intervalMs: 20 });
      await admin.call('PATCH', '/api/v1/nodes/sel', { metadata: { labels: { pool: 'b' } } }, ContentType.merge);
      await waitFor('DELETED', () => events.some((e) => e.type === 'DELETED'), { intervalMs: 20 });
      w.abort();
    });
  });

  describe('errors', () => {
    it('RBAC: 403 Forbidden with the real message until a ClusterRoleBinding allows the verb', async () => {
      const alice = await clientFor('alice', ['operators']);
      assert.equal((await alice.raw('GET', '/api')).status, 200, 'discovery is open to authenticated users');
      const denied = await alice.raw<Status>('PATCH', '/api/v1/nodes/n1', { metadata: { labels: { a: 'b' } } }, ContentType.merge);
      assert.equal(denied.status, 403);
      assert.deepEqual(denied.body, {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
        message: 'nodes "n1" is forbidden: User "alice" cannot patch resource "nodes" in API group "" at the cluster scope',
        reason: 'Forbidden', details: { name: 'n1', kind: 'nodes' }, code: 403,
      });
      const evictDenied = await alice.raw<Status>('POST', '/api/v1/namespaces/default/pods/e2/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'e2' } });
      assert.equal(evictDenied.body.message, 'pods "e2" is forbidden: User "alice" cannot create resource "pods/eviction" in API group "" in the namespace "default"');
      await admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'node-patcher' },
        rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }],
      });
      await admin.call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'operators-patch-nodes' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-patcher' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'operators' }],
      });
      assert.equal((await alice.raw('PATCH', '/api/v1/nodes/n1', { metadata: { labels: { a: 'b' } } }, ContentType.merge)).status, 200);
      const list = await alice.raw<Status>('GET', '/api/v1/nodes');
      assert.equal(list.body.message, 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
    });

    it('anonymous 403 / bad token 401, 415 for an unknown patch type, 409 for a stale node update, 422 for a failed JSON-patch test', async () => {
      assert.equal(await fetchStatus(server, '/version'), 200, 'public info is open to system:anonymous');
      assert.equal(await fetchStatus(server, '/api/v1/nodes'), 403);
      assert.equal(await fetchStatus(server, '/api/v1/nodes', 'Bearer not-a-token'), 401);
      const wrongType = await admin.raw<Status>('PATCH', '/api/v1/nodes/n1', { spec: {} }, 'application/json');
      assert.equal(wrongType.status, 415);
      assert.equal(wrongType.body.reason, 'UnsupportedMediaType');
      const current = await admin.get<Meta>('/api/v1/nodes/n1');
      await admin.call('PATCH', '/api/v1/nodes/n1', { spec: { unschedulable: true } }, ContentType.strategic);
      const stale = await admin.raw<Status>('PUT', '/api/v1/nodes/n1', current);
      assert.equal(stale.status, 409);
      const test = await admin.raw<Status>('PATCH', '/api/v1/nodes/n1', [{ op: 'test', path: '/spec/unschedulable', value: false }], ContentType.jsonPatch);
      assert.equal(test.status, 422);
      assert.equal(test.body.reason, 'Invalid');
      const uncordon = await admin.raw('PATCH', '/api/v1/nodes/n1', [{ op: 'test', path: '/spec/unschedulable', value: true }, { op: 'remove', path: '/spec/unschedulable' }], ContentType.jsonPatch);
      assert.equal(uncordon.status, 200);
    });

    it('serverErrors answers the next N requests with 503 and unavailable refuses connections for a while', async () => {
      server.faults.serverErrors(2);
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await admin.raw<Status>('GET', '/version')).status);
      assert.deepEqual(codes, [503, 503, 200]);
      const down = server.faults.unavailable(400);
      await down;
      await assert.rejects(admin.raw('GET', '/version'), /ECONNREFUSED|ECONNRESET|socket hang up/);
      await waitFor('API back', async () => (await admin.raw('GET', '/version')).status === 200, { timeoutMs: 5000, intervalMs: 50 });
    });

    it('Table output (what kubectl get asks for) for nodes, and plain JSON otherwise', async () => {
      const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
      const res = await get(server, '/api/v1/nodes?labelSelector=', { Accept: accept });
      assert.equal(res.contentType, 'application/json;as=Table;v=v1;g=meta.k8s.io');
      const table = res.body as { kind: string; columnDefinitions: Array<{ name: string; priority: number }>; rows: Array<{ cells: string[]; object: { kind: string } }> };
      assert.equal(table.kind, 'Table');
      assert.deepEqual(table.columnDefinitions.map((c) => c.name), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
      assert.deepEqual(table.columnDefinitions.map((c) => c.priority), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
      const row = table.rows.find((r) => r.cells[0] === 'n1');
      assert.equal(row?.cells[5], '127.0.0.9');
      assert.equal(row?.object.kind, 'PartialObjectMetadata');
      assert.equal(((await get(server, '/api/v1/nodes/n1', { Accept: 'application/json' })).body as { kind: string }).kind, 'Node');
    });

    it('fuzz: any method, path, content type and body yields an object or a Status, and the server keeps serving', async () => {
      const paths = ['/api/v1/nodes', '/api/v1/nodes/n1', '/api/v1/nodes/n1/status', '/api/v1/namespaces/default/pods/e2',
        '/api/v1/namespaces/default/pods/e2/eviction', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/flatdeck-lock',
        '/apis/apps/v1/namespaces/default/deployments', '/api/v1/namespaces/x%2Fy/pods', '/apis/nope/v1/things'];
      const body = fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.constantFrom('{"metadata":{"labels":{"a":1}}}', '{"metadata":null}', '{"spec":[]}', '[{"op":"move","from":"/spec","path":"/spec/x"}]', '{"status":"x"}', '{"metadata":{"name":7}}'));
      const types = fc.constantFrom(ContentType.json, ContentType.merge, ContentType.strategic, ContentType.jsonPatch, ContentType.apply, 'text/plain', 'application/yaml');
      await fc.assert(fc.asyncProperty(fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'GET'), fc.constantFrom(...paths), types, body, async (method, path, type, text) => {
        const res = await admin.raw<Record<string, unknown>>(method, `${path}${method === 'PATCH' ? '?fieldManager=fuzz' : ''}`, method === 'GET' ? undefined : text, type);
        assert.equal(typeof res.body, 'object', `${method} ${path} ${type}: ${String(res.body)}`);
        if (res.status >= 400) {
          assert.equal(res.body.kind, 'Status');
          assert.equal(res.body.code, res.status);
          assert.ok(res.status < 500 || res.status === 500 && /more than one PodDisruptionBudget/.test(String(res.body.message)), `${method} ${path} ${type} ${text}: ${JSON.stringify(res.body)}`);
        }
      }), { numRuns: 300 });
      assert.equal((await admin.raw('GET', '/version')).status, 200);
    });

  });
});

async function get(server: KubeApiServer, path: string, headers: Record<string, string>): Promise<{ status: number; contentType: string; body: unknown }> {
  const { request } = await import('node:https');
  const { parse } = await import('yaml');
  const token = (parse(server.adminKubeconfig()) as { users: Array<{ user: { token: string } }> }).users[0]?.user.token;
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { ca: server.caPem, headers: { ...headers, Authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function fetchStatus(server: KubeApiServer, path: string, authorization?: string): Promise<number> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { ca: server.caPem, headers: authorization ? { Authorization: authorization } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
