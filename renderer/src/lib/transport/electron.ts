import type { ApiEvent, ApiMethod, ApiParams, ApiResult } from '../../../../app/api/index.ts';
import { parseEvent, settle } from './client.ts';
import type { ApiClient, ConnectionStatus } from './client.ts';

/** What main/electron's preload exposes as `window.flatdeck`. */
export interface FlatdeckBridge {
  call(method: string, params: unknown): Promise<{ error: unknown; result: unknown }>;
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
