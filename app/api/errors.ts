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

/**
 * The errors the UI words from a code (with the error's facts and `params`) in its language; `message` stays the
 * English text for the CLI, logs and a UI that does not know the code. Without a code, the UI words by kind.
 */
export const errorMessageCodes = [
  'run.cancelledBefore',
  'run.stoppedAtPreflight',
  'run.stoppedAtFailure',
  'run.nodeNeedsAttention',
  'preflight.blocked',
  'preflight.failed',
  'drain.timeout',
  'drain.blocked',
  'drain.skippedByPolicy',
  'reboot.otherMachine',
  'reboot.timeout',
] as const;
export const ErrorMessageCode = z.enum(errorMessageCodes);
export type ErrorMessageCode = z.infer<typeof ErrorMessageCode>;

const ErrorValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const ApiErrorInfo = z.object({
  kind: ErrorKind,
  message: z.string(),
  facts: z.record(z.string(), ErrorValue).default({}),
  code: ErrorMessageCode.optional(),
  /** Values the coded wording needs beyond the facts (not shown as facts). */
  params: z.record(z.string(), ErrorValue).optional(),
});
export type ApiErrorInfo = z.infer<typeof ApiErrorInfo>;

/** The error type thrown inside the core and carried unchanged across IPC/WebSocket. */
export class ApiError extends Error {
  readonly kind: ErrorKind;
  readonly facts: ApiErrorInfo['facts'];
  readonly wording: Pick<ApiErrorInfo, 'code' | 'params'>;
  constructor(kind: ErrorKind, message: string, facts: ApiErrorInfo['facts'] = {}, wording: Pick<ApiErrorInfo, 'code' | 'params'> = {}) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.facts = facts;
    this.wording = wording;
  }
  toInfo(): ApiErrorInfo {
    return { kind: this.kind, message: this.message, facts: this.facts, ...this.wording };
  }
  static from(info: ApiErrorInfo): ApiError {
    const { kind, message, facts, ...wording } = info;
    return new ApiError(kind, message, facts, wording);
  }
}

export function toErrorInfo(err: unknown): ApiErrorInfo {
  if (err instanceof ApiError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'internal', message, facts: {} };
}
