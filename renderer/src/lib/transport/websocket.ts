import { ApiError, WireMessage } from '../../../../app/api/index.ts';
import type { ApiEvent, ApiMethod, ApiParams, ApiResult, WireRequest } from '../../../../app/api/index.ts';
import { Listeners, settle } from './client.ts';
import type { ApiClient, ConnectionStatus } from './client.ts';

/** Offered subprotocols (main/serve/README.md): the protocol version, and the per-launch token,
 *  since browsers cannot set headers on a WebSocket. The server answers with `flatdeck.v1` only. */
export const subprotocols = (token: string): string[] => ['flatdeck.v1', `flatdeck.token.${token}`];

export interface WebSocketOptions {
  url: string;
  token: string;
  /** Delays between reconnect attempts; the last one repeats. */
  backoffMs?: readonly number[];
  createSocket?: (url: string, protocols: string[]) => WebSocket;
}

interface Pending {
  method: ApiMethod;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Browser mode: one WebSocket to main/serve carrying WireMessage JSON in both directions. */
export class WebSocketClient implements ApiClient {
  readonly #opts: Required<WebSocketOptions>;
  readonly #events = new Listeners<ApiEvent>();
  readonly #statuses = new Listeners<ConnectionStatus>();
  readonly #pending = new Map<number, Pending>();
  readonly #queue: string[] = [];
  #socket: WebSocket | null = null;
  #status: ConnectionStatus = { state: 'connecting' };
  #nextId = 1;
  #attempt = 0;
  #closed = false;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #lastContact: number | null = null;

  constructor(opts: WebSocketOptions) {
    this.#opts = {
      backoffMs: [500, 1000, 2000, 5000, 10_000],
      createSocket: (url, protocols) => new WebSocket(url, protocols),
      ...opts,
    };
    this.#open();
  }

  call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
    if (this.#closed) return Promise.reject(new ApiError('cluster-unreachable', 'The connection to flatdeck is closed.'));
    const id = this.#nextId++;
    const request: WireRequest = { type: 'request', id, method, params };
    return new Promise<ApiResult<M>>((resolve, reject) => {
      this.#pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      const text = JSON.stringify(request);
      if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(text);
      else this.#queue.push(text);
    });
  }

  subscribe(listener: (event: ApiEvent) => void): () => void {
    return this.#events.add(listener);
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    listener(this.#status);
    return this.#statuses.add(listener);
  }

  reconnect(): void {
    if (this.#closed || this.#socket) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#open();
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#socket?.close(1000, 'closed by the UI');
    this.#failPending('The connection to flatdeck was closed.');
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.#statuses.emit(status);
  }

  #open(): void {
    this.#setStatus({ state: 'connecting' });
    const socket = this.#opts.createSocket(this.#opts.url, subprotocols(this.#opts.token));
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#attempt = 0;
      this.#lastContact = Date.now();
      this.#setStatus({ state: 'open' });
      for (const text of this.#queue.splice(0)) socket.send(text);
    });
    socket.addEventListener('message', (msg) => {
      this.#lastContact = Date.now();
      this.#receive(msg.data);
    });
    socket.addEventListener('close', (ev) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#failPending('The connection to flatdeck was lost before it answered.');
      if (this.#closed) return;
      const delays = this.#opts.backoffMs;
      const delay = delays[Math.min(this.#attempt, delays.length - 1)] ?? 1000;
      this.#attempt++;
      this.#setStatus({ state: 'closed', reason: ev.reason || `code ${ev.code}`, lastContact: this.#lastContact, retryAt: Date.now() + delay });
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        this.#open();
      }, delay);
    });
  }

  #receive(data: unknown): void {
    let json: unknown;
    try {
      json = JSON.parse(typeof data === 'string' ? data : '');
    } catch {
      console.warn('flatdeck: dropped a message that is not JSON');
      return;
    }
    const msg = WireMessage.safeParse(json);
    if (!msg.success) {
      console.warn('flatdeck: dropped a message that is not a WireMessage', msg.error.issues[0]);
      return;
    }
    // WireMessage has validated the event already (a second parse cost a 5,000-node snapshot ~100 ms more).
    if (msg.data.type === 'event') {
      this.#events.emit(msg.data.event);
    } else if (msg.data.type === 'response') {
      const pending = this.#pending.get(msg.data.id);
      if (!pending) return;
      this.#pending.delete(msg.data.id);
      try {
        pending.resolve(settle(pending.method, msg.data.error, msg.data.result));
      } catch (err) {
        pending.reject(err);
      }
    }
  }

  #failPending(message: string): void {
    this.#queue.length = 0;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new ApiError('cluster-unreachable', message, { method: pending.method }));
    }
  }
}
