// A small JSON REST client for the Kubernetes API built on node:https, configured from a kubeconfig.
// The kubelet role (and the contract suite) need exact control over content types, status codes and raw
// Status bodies, identically against the simulator's API server and a real kube-apiserver.
import { Agent, request, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** A failed API call: `status` is the HTTP code, `body` the server's Status object (or text). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly method: string;
  readonly path: string;
  constructor(method: string, path: string, status: number, body: unknown) {
    const reason = typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : String(body);
    super(`${method} ${path} → ${status}: ${reason}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.body = body;
    this.method = method;
    this.path = path;
  }
}

export const ContentType = {
  json: 'application/json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  jsonPatch: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface WatchHandle {
  /** Resolves when the stream ends (server closed it, error, or abort). */
  done: Promise<void>;
  abort(): void;
}

export const KUBELET_USER_AGENT = 'kubelet/v1.31.0 (linux/amd64) flatdeck-sim';
const DEFAULT_USER_AGENT = 'flatdeck-sim-client';

export class KubeRestClient {
  readonly server: URL;
  private readonly tls: RequestOptions;
  // Reused connections for ordinary requests; each watch gets a connection of its own.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  private constructor(server: URL, tls: RequestOptions, private readonly userAgent: string) {
    this.server = server;
    this.tls = tls;
  }

  /** `userAgent` as client-go builds it ("<binary>/<version> (<os>/<arch>) …"); the API server's faults read it. */
  static async fromKubeconfigFile(path: string, userAgent = DEFAULT_USER_AGENT): Promise<KubeRestClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return KubeRestClient.fromKubeConfig(kc, userAgent);
  }

  static async fromKubeConfig(kc: KubeConfig, userAgent = DEFAULT_USER_AGENT): Promise<KubeRestClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const tls: RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    return new KubeRestClient(new URL(cluster.server), tls, userAgent);
  }

  private options(method: string, path: string, headers: Record<string, string>, agent: Agent | false = this.agent): RequestOptions {
    return {
      ...this.tls,
      method,
      protocol: this.server.protocol,
      hostname: this.server.hostname,
      port: this.server.port,
      path,
      headers: { ...(this.tls.headers as Record<string, string> | undefined), Accept: 'application/json', 'User-Agent': this.userAgent, ...headers },
      agent,
    };
  }

  /** Any request; never throws on HTTP status (callers inspect `status`). */
  raw<T = unknown>(method: string, path: string, body?: unknown, contentType: string = ContentType.json): Promise<KubeResponse<T>> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> =
      payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)) };
    return new Promise((resolve, reject) => {
      const req = request(this.options(method, path, headers), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON (e.g. a proxy error page): keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T, headers: res.headers });
        });
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Like raw, but throws KubeApiError for non-2xx answers and returns the body. */
  async call<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.raw<T>(method, path, body, contentType);
    if (res.status < 200 || res.status >= 300) throw new KubeApiError(method, path, res.status, res.body);
    return res.body;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /**
   * Streams watch events from `path` (which must carry `watch=1`). Each line is one JSON event.
   * Resolution of `done` means the server ended the stream; callers resume from the last resourceVersion.
   */
  watch<T>(path: string, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    let abort = (): void => {};
    const done = new Promise<void>((resolve, reject) => {
      const req = request(this.options('GET', path, {}, false), (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // keep text
            }
            reject(new KubeApiError('GET', path, res.statusCode ?? 0, parsed));
          });
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
          }
        });
        res.on('end', () => resolve());
        res.on('error', () => resolve());
        res.on('close', () => resolve());
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || req.destroyed ? resolve() : reject(err)));
      abort = () => {
        req.destroy();
        resolve();
      };
      req.end();
    });
    return { done, abort: () => abort() };
  }
}

export function isStatus(err: unknown, status: number): boolean {
  return err instanceof KubeApiError && err.status === status;
}
