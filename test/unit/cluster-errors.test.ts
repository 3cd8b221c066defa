import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import { ApiError } from '../../app/api/errors.ts';
import { ClusterConnection } from '../../app/cluster/connection.ts';
import { classifyKubeError, isTransient, parseForbidden } from '../../app/cluster/errors.ts';
import { loadKubeconfigs } from '../../app/cluster/kubeconfig.ts';
import { kubeconfigYaml, listOneNode, makePki, startHttps, statusBody, type FakeApiServer, type Pki } from './cluster-tls-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-errors-'));
let pki: Pki;
let api: FakeApiServer;
let wrongHostApi: FakeApiServer;
let silent: Server;
let silentPort = 0;
const silentSockets: Socket[] = [];

const FORBIDDEN_MESSAGE = 'nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope';

function jwt(expSecondsFromNow: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ sub: 'jane', exp: Math.floor(Date.now() / 1000) + expSecondsFromNow })}.c2ln`;
}

let n = 0;
function connection(server: string, caPem: string, user: Record<string, unknown>, apiCallLimitMs?: number): ClusterConnection {
  const file = join(dir, `kubeconfig-${n++}.json`);
  writeFileSync(file, kubeconfigYaml({ server, caPem, user }));
  const [entry] = loadKubeconfigs([file]).contexts;
  return new ClusterConnection(entry!, { id: 'test', source: 'kubeconfig', ...(apiCallLimitMs === undefined ? {} : { apiCallLimitMs }) });
}

async function probeError(conn: ClusterConnection): Promise<ApiError> {
  try {
    await listOneNode(conn);
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('probe succeeded');
}

before(async () => {
  pki = makePki();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers.authorization ?? '';
    if (auth === 'Bearer viewer') {
      res.writeHead(403, { 'content-type': 'application/json' }).end(statusBody(403, 'Forbidden', FORBIDDEN_MESSAGE));
    } else if (auth === 'Bearer good') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'NodeList', items: [], metadata: { resourceVersion: '1' } }));
    } else {
      res.writeHead(401, { 'content-type': 'application/json' }).end(statusBody(401, 'Unauthorized', 'Unauthorized'));
    }
  };
  api = await startHttps(pki.server, handler);
  wrongHostApi = await startHttps(pki.wrongHost, handler);
  silent = createServer((socket) => silentSockets.push(socket));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as AddressInfo).port;
});

after(async () => {
  await api.stop();
  await wrongHostApi.stop();
  for (const s of silentSockets) s.destroy();
  await new Promise((r) => silent.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('classifying real failures of a cluster connection', () => {
  it('succeeds with good credentials (the fixture is sound)', async () => {
    await listOneNode(connection(api.url, pki.ca.cert, { token: 'good' }));
  });

  it('connection refused → cluster-unreachable, transient', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r));
    const e = await probeError(connection(`https://127.0.0.1:${port}`, pki.ca.cert, { token: 'good' }));
    assert.equal(e.kind, 'cluster-unreachable');
    assert.match(e.message, /refused/);
    assert.equal(e.facts.code, 'ECONNREFUSED');
    assert.equal(isTransient(e), true);
  });

  it('unresolvable host name → cluster-unreachable naming DNS', async () => {
    const e = await probeError(connection('https://api.flatdeck-test.invalid:6443', pki.ca.cert, { token: 'good' }));
    assert.equal(e.kind, 'cluster-unreachable');
    assert.match(e.message, /does not resolve/);
  });

  it('a server that never answers → cluster-unreachable (timeout)', async () => {
    const conn = connection(`https://127.0.0.1:${silentPort}`, pki.ca.cert, { token: 'good' });
    const e = await conn.getJson('/api/v1/nodes', { timeoutMs: 300 }).then(
      () => assert.fail('answered'),
      (err: unknown) => conn.classify(err, 'list', 'nodes'),
    );
    assert.equal(e.kind, 'cluster-unreachable');
    assert.match(e.message, /did not answer in time/);
  });

  it('a client-node call (a patch, an eviction) to a server that never answers ends at its limit → cluster-unreachable', { timeout: 20_000 }, async () => {
    const conn = connection(`https://127.0.0.1:${silentPort}`, pki.ca.cert, { token: 'good' }, 300);
    const e = await conn.kubeConfig.makeApiClient(CoreV1Api).patchNode({ name: 'worker-1', body: { spec: { unschedulable: true } } }).then(
      () => assert.fail('answered'),
      (err: unknown) => conn.classify(err, 'patch', 'nodes'),
    );
    assert.equal(e.kind, 'cluster-unreachable');
    assert.match(e.message, /did not answer in time/);
    assert.equal(isTransient(e), true);
  });

  it('certificate from an unknown CA → tls-error unknown-ca', async () => {
    const e = await probeError(connection(api.url, pki.otherCa.cert, { token: 'good' }));
    assert.equal(e.kind, 'tls-error');
    assert.equal(e.facts.tlsProblem, 'unknown-ca');
    assert.match(e.message, /certificate authority/);
  });

  it('certificate for another host name → tls-error hostname-mismatch', async () => {
    const e = await probeError(connection(wrongHostApi.url, pki.ca.cert, { token: 'good' }));
    assert.equal(e.kind, 'tls-error');
    assert.equal(e.facts.tlsProblem, 'hostname-mismatch');
    assert.equal(isTransient(e), false);
  });

  it('401 with a wrong static token → unauthorized', async () => {
    const e = await probeError(connection(api.url, pki.ca.cert, { token: 'wrong' }));
    assert.equal(e.kind, 'unauthorized');
    assert.match(e.message, /401/);
    assert.match(e.message, /operator/);
  });

  it('401 with a JWT past its exp → credentials-expired', async () => {
    const e = await probeError(connection(api.url, pki.ca.cert, { token: jwt(-3600) }));
    assert.equal(e.kind, 'credentials-expired');
    const fresh = await probeError(connection(api.url, pki.ca.cert, { token: jwt(3600) }));
    assert.equal(fresh.kind, 'unauthorized');
  });

  it('401 with an expired client certificate → credentials-expired', async () => {
    const e = await probeError(
      connection(api.url, pki.ca.cert, {
        'client-certificate-data': Buffer.from(pki.expiredClient.cert).toString('base64'),
        'client-key-data': Buffer.from(pki.expiredClient.key).toString('base64'),
      }),
    );
    assert.equal(e.kind, 'credentials-expired');
  });

  it('403 → forbidden, naming user, verb and resource from the Status message', async () => {
    const e = await probeError(connection(api.url, pki.ca.cert, { token: 'viewer' }));
    assert.equal(e.kind, 'forbidden');
    assert.match(e.message, /User "jane" may not list nodes/);
    assert.equal(e.facts.verb, 'list');
    assert.equal(e.facts.resource, 'nodes');
    assert.equal(e.facts.user, 'jane');
  });

  it("403 from client-node's own CoreV1Api (a real ApiException) classifies the same way", async () => {
    const conn = connection(api.url, pki.ca.cert, { token: 'viewer' });
    const core = conn.kubeConfig.makeApiClient(CoreV1Api);
    const err = await core.listNode().then(
      () => assert.fail('listed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiException);
    const e = conn.classify(err, 'list', 'nodes');
    assert.equal(e.kind, 'forbidden');
    assert.equal(e.facts.user, 'jane');
  });

  it('exec credential plugin failing → credentials-expired with its stderr', async () => {
    const plugin = join(dir, 'fake-login');
    writeFileSync(plugin, '#!/bin/sh\necho "error: the refresh token has expired, run fake-login again" >&2\nexit 1\n');
    chmodSync(plugin, 0o755);
    const e = await probeError(
      connection(api.url, pki.ca.cert, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, args: [], interactiveMode: 'Never' } }),
    );
    assert.equal(e.kind, 'credentials-expired');
    assert.match(e.message, /refresh token has expired/);
    assert.equal(e.facts.notFound, false);
  });

  it('exec credential plugin missing from PATH → credentials-expired saying not found', async () => {
    const e = await probeError(
      connection(api.url, pki.ca.cert, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'flatdeck-no-such-plugin', interactiveMode: 'Never' } }),
    );
    assert.equal(e.kind, 'credentials-expired');
    assert.match(e.message, /"flatdeck-no-such-plugin".*not found on PATH/);
    assert.equal(e.facts.notFound, true);
  });

  it('a missing CA file → kubeconfig-invalid', async () => {
    const file = join(dir, 'missing-ca.json');
    writeFileSync(
      file,
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: api.url, 'certificate-authority': 'nowhere/ca.crt' } }],
        users: [{ name: 'u', user: { token: 'good' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      }),
    );
    const conn = new ClusterConnection(loadKubeconfigs([file]).contexts[0]!, { id: 'x', source: 'kubeconfig' });
    const e = await probeError(conn);
    assert.equal(e.kind, 'kubeconfig-invalid');
    assert.match(e.message, /nowhere\/ca\.crt/);
  });
});

describe('classifying error values', () => {
  it('reads a Status body given as raw text (client-node 1.x for undocumented codes)', () => {
    const e = classifyKubeError(new ApiException(503, 'Service Unavailable', statusBody(503, 'ServiceUnavailable', 'etcd leader changed'), {}), { cluster: 'c' });
    assert.equal(e.kind, 'api-error');
    assert.match(e.message, /503.*etcd leader changed/);
    assert.equal(isTransient(e), true);
  });

  it('treats 404 as not-found and leaves ApiErrors untouched', () => {
    assert.equal(classifyKubeError(new ApiException(404, 'nf', undefined, {}), { cluster: 'c' }).kind, 'not-found');
    const original = new ApiError('lock-held', 'held');
    assert.equal(classifyKubeError(original, { cluster: 'c' }), original);
  });

  it('parses RBAC denials with a namespace and a subresource', () => {
    assert.deepEqual(parseForbidden('pods "x" is forbidden: User "system:serviceaccount:a:b" cannot create resource "pods/eviction" in API group "" in the namespace "shop"'), {
      user: 'system:serviceaccount:a:b',
      verb: 'create',
      resource: 'pods/eviction',
      namespace: 'shop',
    });
    assert.deepEqual(parseForbidden('something else'), {});
  });
});
