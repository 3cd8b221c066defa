import { ApiError, parseRequest, toErrorInfo } from '../../app/api/index.ts';
import type { ApiErrorInfo, ApiHandler } from '../../app/api/index.ts';

/** What crosses IPC and HTTP for one request: never a thrown error, always this pair. */
export interface Envelope {
  error: ApiErrorInfo | null;
  result: unknown;
}

/**
 * Validates an untrusted (method, params) pair with the shared schemas and runs it on the core.
 * Every failure (validation or core) becomes `{ error: { kind, message, facts }, result: null }`.
 */
export async function dispatchRequest(handler: ApiHandler, method: unknown, params: unknown): Promise<Envelope> {
  try {
    if (typeof method !== 'string') {
      throw new ApiError('invalid-request', 'The method name must be a string.', { methodType: typeof method });
    }
    const request = parseRequest(method, params);
    // parseRequest has checked params against the schema of request.method, so the pair is consistent.
    const result: unknown = await handler.call(request.method, request.params as never);
    return { error: null, result };
  } catch (err) {
    return { error: toErrorInfo(err), result: null };
  }
}
