import { ApiError } from '../../../../app/api/index.ts';
import type { ApiEvent, ApiMethod, ApiParams, ApiResult } from '../../../../app/api/index.ts';
import { parseEvent, settle } from './client.ts';
import type { ApiClient, ConnectionStatus } from './client.ts';

/** What main/electron's preload exposes as `window.flatdeck` (main/serve/README.md). */
export interface FlatdeckBridge {
  /** Resolves with the `{ error, result }` envelope; API failures arrive as `error`, never as a rejection. */
  call(method: string, params: unknown): Promise<unknown>;
  subscribe(listener: (event: unknown) => void): () => void;
}

/** Electron: requests and events through the preload bridge; IPC within one process pair never "disconnects". */
export class ElectronClient implements ApiClient {
  readonly #bridge: FlatdeckBridge;
  constructor(bridge: FlatdeckBridge) {
    this.#bridge = bridge;
  }

  async call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
    const answer = await this.#bridge.call(method, params);
    if (typeof answer !== 'object' || answer === null || !('error' in answer) || !('result' in answer)) {
      throw new ApiError('internal', `The main process answered ${method} without an {error, result} envelope.`, { method });
    }
    return settle(method, answer.error, answer.result);
  }

  subscribe(listener: (event: ApiEvent) => void): () => void {
    return this.#bridge.subscribe((raw) => {
      const event = parseEvent(raw);
      if (event) listener(event);
    });
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    listener({ state: 'open' });
    return () => {};
  }

  close(): void {}
}
