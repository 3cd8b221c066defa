import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { WebSocketServer } from 'ws';
import type { ApiHandler } from '../../app/api/index.ts';
import { dispatchRequest } from '../host/envelope.ts';
import { contentTypeFor, resolveStaticPath } from '../host/static-path.ts';
import { checkHostAndOrigin, checkToken, offeredProtocols, protocolName } from './request-guards.ts';
import type { Verdict } from './request-guards.ts';
import { securityHeaders } from './security-headers.ts';
import { createToken, isTokenFormat } from './token.ts';
import { attachApiSession } from './ws-session.ts';

const host = '127.0.0.1';
const maxBodyBytes = 1024 * 1024;

export interface BrowserServerOptions {
  handler: ApiHandler;
  /** The renderer build (renderer/dist). */
  staticDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Keeps the token of an earlier launch (FLATDECK_SERVE_TOKEN), so open pages reconnect after a restart. */
  token?: string;
}

export interface BrowserServer {
  /** Where to point a browser: origin plus `#token=…`. */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

type Rejection = Extract<Verdict, { ok: false }> | { ok: false; status: 404 | 405 | 413 | 415; reason: string };

function sendText(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

/** Reads a request body up to maxBodyBytes; null when it is (or declares to be) larger. */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.off('data', onData);
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Browser mode: the renderer build over HTTP, the API over a token-guarded WebSocket (`/ws`) and
 * `POST /api/call`, on 127.0.0.1 only. The protocol is described in main/serve/README.md.
 */
export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  if (opts.token !== undefined && !isTokenFormat(opts.token)) throw new Error('the token must be 64 lowercase hex digits');
  const token = opts.token ?? createToken();
  let port = 0;
  const headers = (): Record<string, string> => securityHeaders(port);

  async function serveApiCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendText(res, 405, 'Use POST.', { Allow: 'POST' });
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return sendText(res, 415, 'Send application/json.');
    }
    const body = await readBody(req);
    if (body === null) {
      res.on('finish', () => req.destroy());
      return sendText(res, 413, 'Request body too large.', { Connection: 'close' });
    }
    let request: { method?: unknown; params?: unknown };
    try {
      request = JSON.parse(body.toString('utf8')) as typeof request;
    } catch {
      return sendText(res, 400, 'Request body is not JSON.');
    }
    const envelope = await dispatchRequest(opts.handler, request?.method, request?.params);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(envelope));
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Use GET.', { Allow: 'GET, HEAD' });
    const file = resolveStaticPath(opts.staticDir, pathname);
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) return sendText(res, 404, 'Not found.');
    const content = await readFile(file);
    res.writeHead(200, { 'Content-Type': contentTypeFor(file), 'Content-Length': content.length });
    res.end(req.method === 'HEAD' ? undefined : content);
  }

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(headers())) res.setHeader(name, value);
    const verdict = checkHostAndOrigin(req.headers, port);
    if (!verdict.ok) return sendText(res, verdict.status, verdict.reason);
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/ws') return sendText(res, 400, 'This path only accepts WebSocket handshakes.');
    if (pathname.startsWith('/api/')) {
      const auth = checkToken(req.headers, token);
      if (!auth.ok) return sendText(res, auth.status, auth.reason);
      if (pathname !== '/api/call') return sendText(res, 404, 'Not found.');
      serveApiCall(req, res).catch((err: unknown) => sendText(res, 500, `Internal error: ${String(err)}`));
      return;
    }
    serveStatic(req, res, pathname).catch((err: unknown) => sendText(res, 500, `Internal error: ${String(err)}`));
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxBodyBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(protocolName) ? protocolName : false),
  });
  wss.on('headers', (lines) => {
    for (const [name, value] of Object.entries(headers())) lines.push(`${name}: ${value}`);
  });
  wss.on('connection', (socket) => attachApiSession(socket, opts.handler));

  function refuseUpgrade(socket: Duplex, rejection: Rejection): void {
    const lines = [
      `HTTP/1.1 ${rejection.status} ${STATUS_CODES[rejection.status]}`,
      ...Object.entries({ ...headers(), 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).map(
        ([name, value]) => `${name}: ${value}`,
      ),
      `Content-Length: ${Buffer.byteLength(rejection.reason)}`,
    ];
    socket.end(`${lines.join('\r\n')}\r\n\r\n${rejection.reason}`);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const verdict: Verdict = checkHostAndOrigin(req.headers, port);
    if (!verdict.ok) return refuseUpgrade(socket, verdict);
    if (pathname !== '/ws') return refuseUpgrade(socket, { ok: false, status: 404, reason: 'Not found.' });
    const auth = checkToken(req.headers, token);
    if (!auth.ok) return refuseUpgrade(socket, auth);
    if (!offeredProtocols(req.headers).includes(protocolName)) {
      return refuseUpgrade(socket, { ok: false, status: 400, reason: `Offer the subprotocol ${protocolName}.` });
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${host}:${port}`;

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
