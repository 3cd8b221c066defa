import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from '../api/errors.ts';
import { classifyKubeError, ExecCredentialError, type CredentialFacts, type KubeCallContext } from './errors.ts';
import { kubeConfigFor, type ContextEntry } from './kubeconfig.ts';
import type { NodeSource, WatchEventType } from './inventory.ts';

export type ClusterSource = 'kubeconfig' | 'demo';

/** A failed HTTP exchange, shaped like client-node's watch errors so classifyKubeError reads both. */
export class KubeHttpError extends Error {
  readonly statusCode: number;
  readonly body: string;
  constructor(statusCode: number, body: string) {
    super(`HTTP ${statusCode}`);
    this.name = 'KubeHttpError';
    this.statusCode = statusCode;
    this.body = body;
  }
}

class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(what: string) {
    super(`${what} timed out`);
    this.name = 'TimeoutError';
  }
}

interface PreparedRequest {
  agent: http.Agent | undefined;
  headers: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_ERROR_BODY = 64 * 1024;

/**
 * One kubeconfig context = one cluster connection with its own KubeConfig instance, so several clusters stay
 * open at once and client-node's per-user credential cache cannot mix them up.
 */
export class ClusterConnection {
  readonly id: string;
  readonly source: ClusterSource;
  readonly entry: ContextEntry;
  readonly kubeconfigPath: string | null;
  /** For client-node API clients (`kubeConfig.makeApiClient(CoreV1Api)`); bound to this context only. */
  readonly kubeConfig: KubeConfig;
  private lastCredential: CredentialFacts = {};
  /** How long a request may wait for the first byte of the answer (connect, TLS, headers). */
  private readonly requestTimeoutMs: number;

  constructor(entry: ContextEntry, opts: { id: string; source: ClusterSource; kubeconfigPath?: string | null; requestTimeoutMs?: number; apiCallLimitMs?: number }) {
    this.id = opts.id;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.source = opts.source;
    this.entry = entry;
    this.kubeconfigPath = opts.kubeconfigPath ?? entry.file;
    this.kubeConfig = kubeConfigFor(entry, opts.apiCallLimitMs);
  }

  get server(): string {
    return this.entry.server;
  }

  callContext(verb?: string, resource?: string): KubeCallContext {
    return {
      cluster: this.id,
      server: this.server,
      ...(this.entry.user?.name ? { user: this.entry.user.name } : {}),
      ...(verb ? { verb } : {}),
      ...(resource ? { resource } : {}),
      credential: this.lastCredential,
    };
  }

  /** Any error from talking to this cluster (client-node, node-fetch, our own HTTP) → ApiError with a kind. */
  classify(err: unknown, verb?: string, resource?: string): ApiError {
    return classifyKubeError(err, this.callContext(verb, resource));
  }

  /** Runs the credential machinery (exec plugin, token file, client certificate) and returns what to send. */
  private async prepare(): Promise<PreparedRequest> {
    const opts: https.RequestOptions & { headers?: Record<string, string> } = {};
    try {
      await this.kubeConfig.applyToHTTPSOptions(opts);
    } catch (err) {
      throw this.credentialFailure(err);
    }
    const headers: Record<string, string> = { Accept: 'application/json' };
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const bearer = /^Bearer (.+)$/.exec(headers.Authorization ?? '')?.[1];
    const cert = opts.cert ? String(opts.cert) : undefined;
    this.lastCredential = { ...(bearer ? { token: bearer } : {}), ...(cert ? { clientCertificatePem: cert } : {}) };
    return { agent: opts.agent === false ? undefined : (opts.agent as http.Agent | undefined), headers };
  }

  private credentialFailure(err: unknown): ApiError {
    const e = err as NodeJS.ErrnoException;
    const user = this.entry.user;
    const exec = (user?.exec ?? user?.authProvider?.config?.exec) as { command?: string } | undefined;
    const base = { cluster: this.id, context: this.entry.name, file: this.entry.file };
    if (exec?.command && !(e.code === 'ENOENT' && typeof e.syscall === 'string' && !e.syscall.startsWith('spawn'))) {
      return this.classify(new ExecCredentialError(exec.command, e.message ?? String(err), e.code === 'ENOENT'));
    }
    if (e.code === 'ENOENT') {
      return new ApiError('kubeconfig-invalid', `Context "${this.entry.name}" refers to a file that does not exist: ${e.path ?? e.message}.`, base);
    }
    if (/HTTP protocol is not allowed/.test(e.message ?? '')) {
      return new ApiError('kubeconfig-invalid', `Context "${this.entry.name}" uses plain http:// for ${this.server}; flatdeck only talks HTTPS to API servers.`, base);
    }
    return this.classify(err);
  }

  private async open(path: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<IncomingMessage> {
    const prepared = await this.prepare();
    const url = new URL(this.server + path);
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = transport.request(url, { method: 'GET', agent: prepared.agent, headers: prepared.headers, signal });
      // a wall-clock limit to the first byte: a socket idle timeout restarts at connect and again at the TLS handshake
      const firstByte = setTimeout(() => req.destroy(new TimeoutError(`GET ${path}`)), timeoutMs);
      req.on('close', () => clearTimeout(firstByte));
      req.on('error', reject);
      req.on('response', (res) => {
        clearTimeout(firstByte);
        if (res.statusCode && res.statusCode >= 200 && res.statusCode < 300) {
          resolve(res);
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < MAX_ERROR_BODY) body += chunk;
        });
        res.on('end', () => reject(new KubeHttpError(res.statusCode ?? 0, body)));
        res.on('error', reject);
      });
      req.end();
    });
  }

  /** GET a JSON document. Throws the raw failure; callers classify it with the verb and resource they know. */
  async getJson(path: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const res = await this.open(path, opts.signal, timeoutMs);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => res.destroy(new TimeoutError(`reading ${path}`)), timeoutMs);
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      res.on('end', () => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  /** Like getJson, but null when the resource type is not served (404: e.g. machine-controller CRDs absent). */
  async getJsonOrNull(path: string): Promise<unknown> {
    try {
      return await this.getJson(path);
    } catch (err) {
      if (err instanceof KubeHttpError && err.statusCode === 404) return null;
      throw this.classify(err, 'list', path.split('/').pop());
    }
  }

  /**
   * Streams newline-delimited JSON (a watch). Resolves when the server ends the stream, rejects on failure or
   * when nothing (not even a bookmark) arrives for `idleTimeoutMs`.
   */
  async streamLines(
    path: string,
    onLine: (line: string) => void,
    opts: { signal: AbortSignal; idleTimeoutMs: number; onOpen?: () => void },
  ): Promise<void> {
    const res = await this.open(path, opts.signal, this.requestTimeoutMs);
    opts.onOpen?.();
    res.socket?.setKeepAlive(true, 30_000);
    return new Promise((resolve, reject) => {
      let buffered = '';
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => res.destroy(new TimeoutError(`watch ${path} (no data for ${opts.idleTimeoutMs} ms)`)), opts.idleTimeoutMs);
      };
      arm();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        arm();
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) onLine(line);
        }
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      res.on('close', () => {
        clearTimeout(timer);
        if (buffered.trim()) onLine(buffered.trim());
        if (opts.signal.aborted) reject(opts.signal.reason);
        else resolve();
      });
    });
  }

  /** The node list+watch source the inventory runs on. */
  nodeSource(opts: { pageSize?: number; watchTimeoutSeconds?: number } = {}): NodeSource {
    // Pages, not one answer: the watch cache's single answer (resourceVersion=0) for 5,000 nodes was no faster in
    // bench/kwok-5000.ts and held all 20 MB at once (the server's RSS +60 MB at load, twice as high afterwards).
    const pageSize = opts.pageSize ?? 500;
    const watchTimeout = opts.watchTimeoutSeconds ?? 300;
    return {
      list: async (signal) => {
        const items: unknown[] = [];
        let cont = '';
        let resourceVersion = '';
        do {
          const query = new URLSearchParams({ limit: String(pageSize), ...(cont ? { continue: cont } : {}) });
          const page = (await this.getJson(`/api/v1/nodes?${query}`, { signal })) as {
            items?: unknown[];
            metadata?: { resourceVersion?: string; continue?: string };
          };
          items.push(...(page.items ?? []));
          resourceVersion = page.metadata?.resourceVersion ?? '';
          cont = page.metadata?.continue ?? '';
        } while (cont);
        return { items, resourceVersion };
      },
      watch: async (resourceVersion, handlers, signal) => {
        // Server-side timeout with jitter, so many clients do not reconnect in step.
        const timeoutSeconds = watchTimeout + Math.floor(Math.random() * 60);
        const query = new URLSearchParams({ watch: '1', resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) });
        await this.streamLines(
          `/api/v1/nodes?${query}`,
          (line) => {
            let parsed: { type?: string; object?: unknown };
            try {
              parsed = JSON.parse(line) as typeof parsed;
            } catch {
              return;
            }
            if (parsed.type && parsed.object) handlers.onEvent(parsed.type as WatchEventType, parsed.object);
          },
          { signal, idleTimeoutMs: (timeoutSeconds + 30) * 1000, onOpen: handlers.onOpen },
        );
      },
    };
  }
}
