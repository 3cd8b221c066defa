// The simulator's control endpoint (loopback only): inject and clear faults, publish releases,
// authorise extra SSH keys, and read the fleet's state. Documented in sim/README.md.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { FaultSpecSchema, type FaultRegistry } from './faults.ts';
import type { AuthorizedKeys } from './fleet/authorized-keys.ts';
import type { ReleaseServer } from './fleet/release-server.ts';

export interface ControlTarget {
  faults: FaultRegistry;
  releases: ReleaseServer;
  authorizedKeys: AuthorizedKeys;
  state(): unknown;
  /** false when the fault cannot take effect (e.g. an API fault against an external API server) */
  supportsFault(kind: string): boolean;
}

export interface ControlServer {
  url: string;
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const ReleaseBody = z.object({
  channel: z.string().regex(/^[a-z][a-z0-9-]*$/),
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  size: z.number().int().min(1).default(450_000_000),
}).strict();
const KeyBody = z.object({ key: z.string().min(16).max(16_384) }).strict();

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly details?: unknown) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, 'invalid request', z.treeifyError(result.error));
  return result.data;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

async function route(target: ControlTarget, req: IncomingMessage): Promise<[number, unknown]> {
  const path = new URL(req.url ?? '/', 'http://control').pathname;
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/state') return [200, target.state()];
  if (method === 'GET' && path === '/faults') return [200, { faults: target.faults.list() }];
  if (method === 'POST' && path === '/faults') {
    const spec = parse(FaultSpecSchema, await readJson(req));
    if (!target.supportsFault(spec.kind)) throw new HttpError(501, `fault ${spec.kind} is not supported by this simulator's API server`);
    return [201, { fault: target.faults.add(spec) }];
  }
  if (method === 'DELETE' && path === '/faults') return [200, { removed: target.faults.clear() }];
  const faultId = /^\/faults\/([A-Za-z0-9]+)$/.exec(path)?.[1];
  if (method === 'DELETE' && faultId) {
    const removed = target.faults.remove(faultId);
    if (!removed) throw new HttpError(404, `no active fault ${faultId}`);
    return [200, { removed: [removed] }];
  }
  if (method === 'GET' && path === '/releases') return [200, { releases: target.releases.snapshot() }];
  if (method === 'POST' && path === '/releases') {
    const body = parse(ReleaseBody, await readJson(req));
    target.releases.publish(body.channel, { version: body.version, size: body.size });
    return [201, { releases: target.releases.snapshot() }];
  }
  if (method === 'POST' && path === '/authorized-keys') {
    const body = parse(KeyBody, await readJson(req));
    try {
      target.authorizedKeys.add(body.key);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    return [201, { authorizedKeys: target.authorizedKeys.lines() }];
  }
  throw new HttpError(404, `no route ${method} ${path}`);
}

/**
 * Any local process or web page can reach a loopback port: a Host other than the loopback address itself is a
 * DNS-rebinding page and is refused, and with a token every request must carry it (which a page cannot add
 * without a CORS preflight this server never answers).
 */
function admit(req: IncomingMessage, port: number, token: string | undefined): void {
  if (req.headers.host !== `127.0.0.1:${port}` && req.headers.host !== `localhost:${port}`) throw new HttpError(403, 'Host must be the loopback address');
  if (token === undefined) return;
  const given = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'missing or wrong bearer token');
}

export async function startControlServer(target: ControlTarget, port = 0, token?: string): Promise<ControlServer> {
  let boundPort = port;
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => admit(req, boundPort, token))
      .then(() => route(target, req))
      .then(
        ([status, body]) => send(res, status, body),
        (err: unknown) => {
          if (err instanceof HttpError) send(res, err.status, { error: err.message, details: err.details });
          else send(res, 500, { error: (err as Error).message });
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address && typeof address === 'object') boundPort = address.port;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
