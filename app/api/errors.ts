import { z } from 'zod';

/** Every failure that crosses the API is one of these kinds, with an operator-readable message and its facts. */
export const errorKinds = [
  'invalid-request',
  'not-found',
  'kubeconfig-invalid',
  'cluster-unreachable',
  'tls-error',
  'unauthorized',
  'forbidden',
  'credentials-expired',
  'api-error',
  'ssh-unreachable',
  'ssh-timeout',
  'ssh-auth-rejected',
  'host-key-unknown-rejected',
  'host-key-changed',
  'ssh-disconnected',
  'passphrase-needed',
  'sudo-password-required',
  'service-masked',
  'update-engine-unavailable',
  'update-failed',
  'command-failed',
  'drain-blocked',
  'drain-timeout',
  'lock-held',
  'lock-lost',
  'reboot-failed',
  'rollback-detected',
  'health-gate-failed',
  'needs-attention',
  'cancelled',
  'internal',
] as const;
export const ErrorKind = z.enum(errorKinds);
export type ErrorKind = z.infer<typeof ErrorKind>;

export const ApiErrorInfo = z.object({
  kind: ErrorKind,
  message: z.string(),
  facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
});
export type ApiErrorInfo = z.infer<typeof ApiErrorInfo>;

/** The error type thrown inside the core and carried unchanged across IPC/WebSocket. */
export class ApiError extends Error {
  readonly kind: ErrorKind;
  readonly facts: ApiErrorInfo['facts'];
  constructor(kind: ErrorKind, message: string, facts: ApiErrorInfo['facts'] = {}) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.facts = facts;
  }
  toInfo(): ApiErrorInfo {
    return { kind: this.kind, message: this.message, facts: this.facts };
  }
  static from(info: ApiErrorInfo): ApiError {
    return new ApiError(info.kind, info.message, info.facts);
  }
}

export function toErrorInfo(err: unknown): ApiErrorInfo {
  if (err instanceof ApiError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'internal', message, facts: {} };
}
