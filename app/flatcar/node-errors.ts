import { ApiError, type ErrorKind } from '../api/errors.ts';
import { SshError, type SshErrorKind } from '../ssh/errors.ts';
import type { FlatcarError } from './errors.ts';

const SSH_KIND: Record<SshErrorKind, ErrorKind> = {
  unreachable: 'ssh-unreachable',
  timeout: 'ssh-timeout',
  'auth-rejected': 'ssh-auth-rejected',
  'host-key-unknown-rejected': 'host-key-unknown-rejected',
  'host-key-changed': 'host-key-changed',
  'host-key-revoked': 'host-key-changed',
  disconnected: 'ssh-disconnected',
  'passphrase-needed': 'passphrase-needed',
  'unsupported-config': 'ssh-unreachable',
};

const FLATCAR_KIND: Partial<Record<FlatcarError['kind'], ErrorKind>> = {
  'sudo-password-required': 'sudo-password-required',
  'service-masked': 'service-masked',
  'dbus-unavailable': 'update-engine-unavailable',
  timeout: 'ssh-timeout',
};

/** Error kinds that mean the node was not reached (or not logged in to), as opposed to a command failing there. */
const NOT_REACHED = new Set<ErrorKind>([...Object.values(SSH_KIND)]);

export function fromFlatcar(e: FlatcarError, node: string): ApiError {
  const f = e.facts;
  return new ApiError(FLATCAR_KIND[e.kind] ?? 'command-failed', e.message, {
    node,
    command: f.command ?? null,
    exitCode: f.exitCode ?? null,
    stderr: f.stderrTail ?? null,
  });
}

export function fromSsh(e: SshError, node: string): ApiError {
  const f = e.facts;
  return new ApiError(SSH_KIND[e.kind], e.message, {
    node,
    host: f.host ?? null,
    command: f.command ?? null,
    // Host-key facts, so the UI can show both fingerprints side by side.
    ...(f.port !== undefined ? { port: f.port } : {}),
    ...(f.presentedFingerprint ? { presentedFingerprint: f.presentedFingerprint } : {}),
    ...(f.knownFingerprints ? { knownFingerprints: f.knownFingerprints.join(', ') } : {}),
    ...(f.knownHostsFile ? { knownHostsFile: f.knownHostsFile } : {}),
  });
}

/** Socket errors that escape the transport while a node reboots are the same fact as an unreachable node. */
export function asSshError(err: unknown, node: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof SshError || typeof code !== 'string' || !/^(ECONN|EHOST|ENETUNREACH|ETIMEDOUT|EPIPE)/.test(code)) return err;
  return new SshError(code === 'ETIMEDOUT' ? 'timeout' : code === 'ECONNRESET' || code === 'EPIPE' ? 'disconnected' : 'unreachable', `${node}: ${(err as Error).message}`, { node });
}

/** Any failure of work on a node as the API carries it: what the adapter threw, or an unexpected error. */
export function nodeFailure(err: unknown, node: string): ApiError {
  if (err instanceof ApiError) return err;
  const transport = asSshError(err, node);
  if (transport instanceof SshError) return fromSsh(transport, node);
  return new ApiError('internal', err instanceof Error ? err.message : String(err), { node });
}

/** True when the node could not be reached or logged in to; the commands themselves never ran. */
export const notReached = (err: ApiError): boolean => NOT_REACHED.has(err.kind);
