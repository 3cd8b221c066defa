import type { ApiEvent, ApiMethod, ApiParams, ApiResult } from '../../app/api/index.ts';
import { Listeners } from '../src/lib/transport/client.ts';
import type { ApiClient, ConnectionStatus } from '../src/lib/transport/client.ts';

type Handler = (params: unknown) => unknown;

/** An in-memory ApiClient for store and component tests: scripted answers, pushed events, call log. */
export class FakeClient implements ApiClient {
  readonly events = new Listeners<ApiEvent>();
  readonly statuses = new Listeners<ConnectionStatus>();
  readonly calls: Array<{ method: string; params: unknown }> = [];
  readonly #handlers = new Map<string, Handler>();

  on<M extends ApiMethod>(method: M, handler: (params: ApiParams<M>) => ApiResult<M>): this {
    this.#handlers.set(method, handler as Handler);
    return this;
  }

  async call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
    this.calls.push({ method, params });
    const handler = this.#handlers.get(method);
    if (!handler) throw new Error(`unexpected call ${method}`);
    return handler(params) as ApiResult<M>;
  }

  subscribe(listener: (event: ApiEvent) => void): () => void {
    return this.events.add(listener);
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    listener({ state: 'open' });
    return this.statuses.add(listener);
  }

  push(event: ApiEvent): void {
    this.events.emit(event);
  }

  close(): void {}
}
