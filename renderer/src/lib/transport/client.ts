import { ApiError, ApiErrorInfo, ApiEvent, apiMethods } from '../../../../app/api/index.ts';
import type { ApiMethod, ApiParams, ApiResult } from '../../../../app/api/index.ts';

export type ConnectionStatus =
  | { state: 'connecting' }
  | { state: 'open' }
  | {
      state: 'closed';
      reason: string;
      /** When the UI last heard from the core (ms since epoch): what is on screen is as of then. */
      lastContact?: number | null;
      /** When the next reconnect attempt starts (ms since epoch). */
      retryAt?: number | null;
    };

/** The renderer's only way to reach the core: requests, pushed events and the link's own state. */
export interface ApiClient {
  call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  /** Try to reach the core now instead of waiting for the next attempt (transports that can lose the link). */
  reconnect?(): void;
  close(): void;
}

/** Fans events out to listeners; one listener's exception never starves the others. */
export class Listeners<T> {
  readonly #set = new Set<(value: T) => void>();
  add(listener: (value: T) => void): () => void {
    this.#set.add(listener);
    return () => this.#set.delete(listener);
  }
  emit(value: T): void {
    for (const listener of [...this.#set]) {
      try {
        listener(value);
      } catch (err) {
        console.error('flatdeck: listener failed', err);
      }
    }
  }
  get size(): number {
    return this.#set.size;
  }
}

/** Turns a host's `{error, result}` answer into the validated result, or throws the ApiError it carries. */
export function settle<M extends ApiMethod>(method: M, error: unknown, result: unknown): ApiResult<M> {
  if (error !== null && error !== undefined) {
    const info = ApiErrorInfo.safeParse(error);
    if (info.success) throw ApiError.from(info.data);
    throw new ApiError('internal', `The core answered ${method} with a malformed error.`, { method });
  }
  const parsed = apiMethods[method].result.safeParse(result);
  if (!parsed.success) {
    throw new ApiError('internal', `The core answered ${method} with data the UI cannot read: ${parsed.error.issues[0]?.message ?? 'invalid'}.`, {
      method,
    });
  }
  return parsed.data as ApiResult<M>;
}

/** Validates one pushed event; returns null (and logs) for anything that does not match the contract. */
export function parseEvent(raw: unknown): ApiEvent | null {
  const parsed = ApiEvent.safeParse(raw);
  if (parsed.success) return parsed.data;
  console.warn('flatdeck: dropped an event that does not match the API contract', parsed.error.issues[0]);
  return null;
}

/** Any thrown value as an ApiError, so views can show `kind` and `message`. */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('internal', err instanceof Error ? err.message : String(err));
}
