/** Reads the HTTP status and the Kubernetes Status body out of a client-node ApiException (body is a raw string). */
export interface KubeFailure {
  code: number | null;
  reason: string | null;
  message: string;
  retryAfterSeconds: number | null;
}

function parseBody(body: unknown): Record<string, unknown> | null {
  if (typeof body === 'string') {
    try {
      const v: unknown = JSON.parse(body);
      return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : null;
}

function headerValue(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() === name && (typeof v === 'string' || typeof v === 'number')) return String(v);
  }
  return null;
}

export function kubeFailure(err: unknown): KubeFailure {
  const e = (err ?? {}) as { code?: unknown; body?: unknown; headers?: unknown; message?: unknown };
  const code = typeof e.code === 'number' ? e.code : null;
  const status = parseBody(e.body);
  const details = (status?.details ?? {}) as { retryAfterSeconds?: unknown };
  const fromBody = typeof details.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
  const header = headerValue(e.headers, 'retry-after');
  const fromHeader = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  return {
    code,
    reason: typeof status?.reason === 'string' ? status.reason : null,
    message: typeof status?.message === 'string' ? status.message : typeof e.message === 'string' ? e.message.split('\n')[0] ?? '' : String(err),
    retryAfterSeconds: fromBody ?? fromHeader,
  };
}

export const isNotFound = (err: unknown): boolean => kubeFailure(err).code === 404;
export const isConflict = (err: unknown): boolean => kubeFailure(err).code === 409;
