import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import { startBrowserServer } from '../../main/serve/server.ts';
import type { BrowserServer } from '../../main/serve/server.ts';
import { FakeHandler, clusterEvent, demoCluster } from '../unit/shell-fake-handler.ts';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request with exactly the headers given (no client adds Origin or a token behind our back). */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function assertSecurityHeaders(headers: IncomingHttpHeaders, port: number): void {
  const csp = headers['content-security-policy'];
  assert.ok(typeof csp === 'string', 'Content-Security-Policy header is missing');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.ok(csp.includes(`connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  assert.equal(headers['x-frame-options'], 'DENY');
}

type Handshake =
  | { kind: 'open'; socket: WebSocket; headers: IncomingHttpHeaders }
  | { kind: 'refused'; status: number; headers: IncomingHttpHeaders; body: string };

/** Opens a WebSocket with the real `ws` client and reports either the open socket or the refusal. */
function connect(url: string, protocols: string[], options: ClientOptions = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, options);
    let upgradeHeaders: IncomingHttpHeaders = {};
    socket.on('upgrade', (res) => (upgradeHeaders = res.headers));
    socket.on('open', () => resolve({ kind: 'open', socket, headers: upgradeHeaders }));
    socket.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ kind: 'refused', status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    socket.on('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<unknown> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(data.toString()))));
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('browser-mode server', () => {
  let server: BrowserServer;
  let handler: FakeHandler;
  let staticDir: string;
  let wsUrl: string;
  const otherToken = 'ab'.repeat(32);

  before(async () => {
    staticDir = mkdtempSync(join(tmpdir(), 'flatdeck-serve-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>flatdeck</title>');
    mkdirSync(join(staticDir, 'assets'));
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(staticDir, '..', 'flatdeck-serve-outside.txt'), 'outside');
    handler = new FakeHandler();
    server = await startBrowserServer({ handler, staticDir });
    wsUrl = `ws://127.0.0.1:${server.port}/ws`;
  });

  after(async () => {
    await server.close();
    rmSync(staticDir, { recursive: true, force: true });
    rmSync(join(staticDir, '..', 'flatdeck-serve-outside.txt'), { force: true });
  });

  it('listens on 127.0.0.1 and carries a fresh 256-bit token in the URL fragment', async () => {
    assert.match(server.url, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/#token=[0-9a-f]{64}$`));
    assert.equal(server.url.endsWith(server.token), true);
    const second = await startBrowserServer({ handler, staticDir });
    try {
      assert.notEqual(second.token, server.token);
    } finally {
      await second.close();
    }
  });

  it('serves the renderer without a token, with the security headers', async () => {
    const res = await raw(server.port, 'GET', '/', { Host: `127.0.0.1:${server.port}` });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/html/);
    assert.match(res.body, /<title>flatdeck<\/title>/);
    assertSecurityHeaders(res.headers, server.port);
    const js = await raw(server.port, 'GET', '/assets/app.js', { Host: `localhost:${server.port}` });
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type'] ?? '', /^text\/javascript/);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403, headers included', async () => {
    const badHost = await raw(server.port, 'GET', '/', { Host: `attacker.example:${server.port}` });
    assert.equal(badHost.status, 403);
    assertSecurityHeaders(badHost.headers, server.port);
    const wrongPort = await raw(server.port, 'GET', '/', { Host: '127.0.0.1:1' });
    assert.equal(wrongPort.status, 403);
    const badOrigin = await raw(server.port, 'GET', '/', { Host: `127.0.0.1:${server.port}`, Origin: 'http://attacker.example' });
    assert.equal(badOrigin.status, 403);
    assertSecurityHeaders(badOrigin.headers, server.port);
    const nullOrigin = await raw(server.port, 'GET', '/', { Host: `127.0.0.1:${server.port}`, Origin: 'null' });
    assert.equal(nullOrigin.status, 403);
  });

  it('answers 404 with headers, and never serves files outside the renderer build', async () => {
    for (const path of ['/missing.js', '/%2e%2e/flatdeck-serve-outside.txt', '/..%2fflatdeck-serve-outside.txt', '/assets']) {
      const res = await raw(server.port, 'GET', path, { Host: `127.0.0.1:${server.port}` });
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /outside/);
      assertSecurityHeaders(res.headers, server.port);
    }
  });

  it('HTTP API: no token → 401, wrong token → 403, right token → the core answers', async () => {
    const host = { Host: `127.0.0.1:${server.port}`, 'Content-Type': 'application/json' };
    const body = JSON.stringify({ method: 'clusters.list', params: {} });
    const none = await raw(server.port, 'POST', '/api/call', host, body);
    assert.equal(none.status, 401);
    assertSecurityHeaders(none.headers, server.port);
    const wrong = await raw(server.port, 'POST', '/api/call', { ...host, 'X-Flatdeck-Token': otherToken }, body);
    assert.equal(wrong.status, 403);
    assertSecurityHeaders(wrong.headers, server.port);
    const short = await raw(server.port, 'POST', '/api/call', { ...host, 'X-Flatdeck-Token': server.token.slice(0, 63) }, body);
    assert.equal(short.status, 403);
    const wrongOrigin = await raw(server.port, 'POST', '/api/call', { ...host, 'X-Flatdeck-Token': server.token, Origin: 'http://localhost:1' }, body);
    assert.equal(wrongOrigin.status, 403);
    const callsBefore = handler.calls.length;
    assert.equal(callsBefore, 0, 'refused requests never reached the core');

    const ok = await raw(server.port, 'POST', '/api/call', { ...host, 'X-Flatdeck-Token': server.token, Origin: server.origin }, body);
    assert.equal(ok.status, 200);
    assertSecurityHeaders(ok.headers, server.port);
    assert.deepEqual(JSON.parse(ok.body), { error: null, result: [demoCluster] });
    assert.deepEqual(handler.calls.at(-1), { method: 'clusters.list', params: {} });
  });

  it('HTTP API: invalid requests come back as invalid-request envelopes, core errors keep kind and facts', async () => {
    const headers = { Host: `127.0.0.1:${server.port}`, 'Content-Type': 'application/json', 'X-Flatdeck-Token': server.token };
    const unknown = await raw(server.port, 'POST', '/api/call', headers, JSON.stringify({ method: 'nodes.format', params: {} }));
    assert.equal(JSON.parse(unknown.body).error.kind, 'invalid-request');
    const notFound = await raw(server.port, 'POST', '/api/call', headers, JSON.stringify({ method: 'nodes.list', params: { cluster: 'prod' } }));
    assert.deepEqual(JSON.parse(notFound.body), {
      error: { kind: 'not-found', message: 'No cluster named "prod".', facts: { cluster: 'prod' } },
      result: null,
    });
    const form = await raw(server.port, 'POST', '/api/call', { ...headers, 'Content-Type': 'text/plain' }, 'x');
    assert.equal(form.status, 415);
    const huge = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/call', headers: { ...headers, 'Content-Length': String(2 * 1024 * 1024) } }, (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"method":');
    });
    assert.equal(huge, 413);
  });

  it('WebSocket: no token → 401, wrong token → 403, with the security headers', async () => {
    const none = await connect(wsUrl, ['flatdeck.v1']);
    assert.equal(none.kind, 'refused');
    assert.equal(none.kind === 'refused' && none.status, 401);
    assertSecurityHeaders(none.headers, server.port);
    const wrong = await connect(wsUrl, ['flatdeck.v1', `flatdeck.token.${otherToken}`]);
    assert.equal(wrong.kind === 'refused' && wrong.status, 403);
    assertSecurityHeaders(wrong.headers, server.port);
    const garbage = await connect(wsUrl, ['flatdeck.v1', 'flatdeck.token.zz']);
    assert.equal(garbage.kind === 'refused' && garbage.status, 403);
    const mixed = await connect(wsUrl, ['flatdeck.v1', `flatdeck.token.${server.token}`], { headers: { 'X-Flatdeck-Token': otherToken } });
    assert.equal(mixed.kind === 'refused' && mixed.status, 403, 'every presented copy must match');
  });

  it('WebSocket: a foreign Origin or Host → 403 even with the right token', async () => {
    const protocols = ['flatdeck.v1', `flatdeck.token.${server.token}`];
    const origin = await connect(wsUrl, protocols, { origin: 'https://attacker.example' });
    assert.equal(origin.kind === 'refused' && origin.status, 403);
    assertSecurityHeaders(origin.kind === 'refused' ? origin.headers : {}, server.port);
    const host = await connect(wsUrl, protocols, { headers: { Host: `rebound.example:${server.port}` } });
    assert.equal(host.kind === 'refused' && host.status, 403);
    const noVersion = await connect(wsUrl, [`flatdeck.token.${server.token}`]);
    assert.equal(noVersion.kind === 'refused' && noVersion.status, 400);
    const elsewhere = await connect(`ws://127.0.0.1:${server.port}/other`, protocols);
    assert.equal(elsewhere.kind === 'refused' && elsewhere.status, 404);
  });

  it('WebSocket: the right token opens the API — requests, errors and pushed events', async () => {
    const hs = await connect(wsUrl, ['flatdeck.v1', `flatdeck.token.${server.token}`], { origin: server.origin });
    assert.equal(hs.kind, 'open');
    if (hs.kind !== 'open') return;
    const { socket } = hs;
    try {
      assert.equal(socket.protocol, 'flatdeck.v1', 'the server selects flatdeck.v1 and never echoes the token');
      assertSecurityHeaders(hs.headers, server.port);

      socket.send(JSON.stringify({ type: 'request', id: 7, method: 'clusters.list', params: {} }));
      assert.deepEqual(await nextMessage(socket), { type: 'response', id: 7, error: null, result: [demoCluster] });

      socket.send(JSON.stringify({ type: 'request', id: 8, method: 'nodes.list', params: { cluster: 'prod' } }));
      assert.deepEqual(await nextMessage(socket), {
        type: 'response',
        id: 8,
        error: { kind: 'not-found', message: 'No cluster named "prod".', facts: { cluster: 'prod' } },
        result: null,
      });

      socket.send(JSON.stringify({ type: 'request', id: 9, method: 'nodes.list', params: { cluster: 42 } }));
      const invalid = (await nextMessage(socket)) as { id: number; error: { kind: string; message: string } };
      assert.equal(invalid.id, 9);
      assert.equal(invalid.error.kind, 'invalid-request');
      assert.match(invalid.error.message, /cluster/);

      socket.send(JSON.stringify({ type: 'event', id: 10 }));
      const notRequest = (await nextMessage(socket)) as { id: number; error: { kind: string } };
      assert.deepEqual([notRequest.id, notRequest.error.kind], [10, 'invalid-request']);

      const event = nextMessage(socket);
      handler.emit(clusterEvent);
      assert.deepEqual(await event, { type: 'event', event: clusterEvent });

      const code = closed(socket);
      socket.send('not json');
      assert.equal(await code, 1008);
    } finally {
      socket.terminate();
    }
  });

  // ws reports these as 'error' events on the server's socket; unheard, one would end the whole process (the core,
  // the demo and any rollout with its node cordoned and its Lease held).
  for (const [what, frame, expectedCode] of [
    ['a frame over 1 MiB', JSON.stringify({ type: 'request', id: 1, method: 'clusters.list', params: { pad: 'x'.repeat(1024 * 1024) } }), 1009],
    ['a text frame that is not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 1007],
  ] as const) {
    it(`WebSocket: ${what} closes that socket only (${expectedCode}); the server and other sessions go on`, async () => {
      const protocols = ['flatdeck.v1', `flatdeck.token.${server.token}`];
      const bystander = await connect(wsUrl, protocols, { origin: server.origin });
      const offender = await connect(wsUrl, protocols, { origin: server.origin });
      assert.ok(bystander.kind === 'open' && offender.kind === 'open');
      try {
        const code = closed(offender.socket);
        offender.socket.send(frame, { binary: false });
        assert.equal(await code, expectedCode);
        bystander.socket.send(JSON.stringify({ type: 'request', id: 1, method: 'clusters.list', params: {} }));
        assert.deepEqual(await nextMessage(bystander.socket), { type: 'response', id: 1, error: null, result: [demoCluster] });
        const later = await connect(wsUrl, protocols, { origin: server.origin });
        assert.equal(later.kind, 'open', 'the server still accepts sessions');
        if (later.kind === 'open') later.socket.terminate();
      } finally {
        bystander.socket.terminate();
        offender.socket.terminate();
      }
    });
  }

  it('WebSocket: a non-browser client may send the token as a header; closing unsubscribes it', async () => {
    await waitFor(() => handler.listenerCount === 0);
    const hs = await connect(wsUrl, ['flatdeck.v1'], { headers: { 'X-Flatdeck-Token': server.token } });
    assert.equal(hs.kind, 'open');
    if (hs.kind !== 'open') return;
    await waitFor(() => handler.listenerCount === 1);
    hs.socket.close();
    await waitFor(() => handler.listenerCount === 0);
  });
});
