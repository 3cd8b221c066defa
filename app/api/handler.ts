import { ApiError } from './errors.ts';
import type { ApiEvent } from './events.ts';
import { apiMethods, isApiMethod } from './methods.ts';
import type { ApiMethod, ApiParams, ApiResult } from './methods.ts';

/** What a host (Electron main, browser-mode server, CLI) talks to; the renderer sees the same shape remotely. */
export interface ApiHandler {
  call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
  close(): Promise<void>;
}

/** Validates an untrusted (method, params) pair from a process boundary; throws ApiError('invalid-request'). */
export function parseRequest(method: string, params: unknown): { method: ApiMethod; params: unknown } {
  if (!isApiMethod(method)) throw new ApiError('invalid-request', `Unknown method "${method}".`, { method });
  const parsed = apiMethods[method].params.safeParse(params ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
    throw new ApiError('invalid-request', `Invalid parameters for ${method}: ${issues}`, { method });
  }
  return { method, params: parsed.data };
}
