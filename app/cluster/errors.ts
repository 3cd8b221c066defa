import { X509Certificate } from 'node:crypto';
import { ApiError } from '../api/errors.ts';

/** What the caller was doing, so the message can name it. */
export interface KubeCallContext {
  cluster: string;
  server?: string;
  user?: string;
  verb?: string;      // list, watch, patch, …
  resource?: string;  // nodes, pods, …
  /** The credential the request carried, to tell an expired one from a wrong one on 401. */
  credential?: CredentialFacts;
}

export interface CredentialFacts {
  token?: string;
  clientCertificatePem?: string;
}

/** Raised by the connection when the exec credential plugin (aws, kubelogin, gke-gcloud-auth-plugin …) fails. */
export class ExecCredentialError extends Error {
  readonly plugin: string;
  readonly notFound: boolean;
  constructor(plugin: string, detail: string, notFound: boolean) {
    super(detail);
    this.name = 'ExecCredentialError';
    this.plugin = plugin;
    this.notFound = notFound;
  }
}

/** Parsed `metav1.Status` body of a failed request, when the server sent one. */
export interface KubeStatus {
  reason?: string;
  message?: string;
  code?: number;
  retryAfterSeconds?: number;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH',
  'EHOSTDOWN', 'EPIPE', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET',
]);

type TlsProblem = 'unknown-ca' | 'hostname-mismatch' | 'certificate-expired' | 'protocol';
const TLS_CODES: Record<string, TlsProblem> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown-ca',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown-ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown-ca',
  CERT_SIGNATURE_FAILURE: 'unknown-ca',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname-mismatch',
  CERT_HAS_EXPIRED: 'certificate-expired',
  CERT_NOT_YET_VALID: 'certificate-expired',
  EPROTO: 'protocol',
};

const TLS_TEXT: Record<TlsProblem, string> = {
  'unknown-ca': 'its certificate is not signed by the certificate authority in the kubeconfig (certificate-authority / certificate-authority-data)',
  'hostname-mismatch': 'its certificate is not valid for this host name; check the server address or set tls-server-name in the kubeconfig',
  'certificate-expired': 'its certificate has expired or is not valid yet (check this computer\'s clock too)',
  protocol: 'the TLS handshake failed; the address may not be a Kubernetes API server',
};

function errorCode(err: object): string | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const cause = (err as { cause?: unknown }).cause;
  return cause && typeof cause === 'object' ? errorCode(cause) : undefined;
}

/** HTTP status of a client-node ApiException (`code`) or a Watch failure (`statusCode`). */
export function httpStatusOf(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.code === 'number') return e.code;
  return undefined;
}

/** client-node 1.x puts the raw response text in `body` for undocumented codes; documented ones arrive parsed. */
export function kubeStatusOf(err: unknown): KubeStatus {
  if (!err || typeof err !== 'object') return {};
  let body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return { message: text.slice(0, 500) };
    }
  }
  if (!body || typeof body !== 'object') return {};
  const b = body as { reason?: unknown; message?: unknown; code?: unknown; details?: { retryAfterSeconds?: unknown } };
  return {
    ...(typeof b.reason === 'string' ? { reason: b.reason } : {}),
    ...(typeof b.message === 'string' ? { message: b.message } : {}),
    ...(typeof b.code === 'number' ? { code: b.code } : {}),
    ...(typeof b.details?.retryAfterSeconds === 'number' ? { retryAfterSeconds: b.details.retryAfterSeconds } : {}),
  };
}

/**
 * The RBAC denial text: `nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the
 * cluster scope`. Subresources read `resource "nodes/status"`.
 */
const FORBIDDEN = /User "([^"]*)" cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]*)")?/;

export interface ForbiddenFacts {
  user?: string;
  verb?: string;
  resource?: string;
  apiGroup?: string;
  namespace?: string;
}

export function parseForbidden(message: string): ForbiddenFacts {
  const m = FORBIDDEN.exec(message);
  if (!m) return {};
  return {
    user: m[1]!,
    verb: m[2]!,
    resource: m[3]!,
    ...(m[4] ? { apiGroup: m[4] } : {}),
    ...(m[5] ? { namespace: m[5] } : {}),
  };
}

/** True when the credential itself says it has run out: a JWT past `exp` or a client certificate past notAfter. */
export function credentialExpired(cred: CredentialFacts | undefined, now = Date.now()): boolean {
  if (!cred) return false;
  if (cred.token) {
    const exp = jwtExpiry(cred.token);
    if (exp !== null && exp <= now) return true;
  }
  if (cred.clientCertificatePem) {
    try {
      const cert = new X509Certificate(cred.clientCertificatePem);
      if (Date.parse(cert.validTo) <= now) return true;
    } catch {
      return false;
    }
  }
  return false;
}

function jwtExpiry(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

function what(ctx: KubeCallContext): string {
  return ctx.verb && ctx.resource ? `${ctx.verb} ${ctx.resource}` : 'the request';
}

/**
 * Turns anything client-node, node-fetch, the Watch or an exec plugin throws into one ApiError kind with a
 * message an operator can act on.
 */
export function classifyKubeError(err: unknown, ctx: KubeCallContext): ApiError {
  if (err instanceof ApiError) return err;
  const base = {
    cluster: ctx.cluster,
    ...(ctx.server ? { server: ctx.server } : {}),
    ...(ctx.verb ? { verb: ctx.verb } : {}),
    ...(ctx.resource ? { resource: ctx.resource } : {}),
  };
  const where = ctx.server ? `${ctx.cluster} (${ctx.server})` : ctx.cluster;

  if (err instanceof ExecCredentialError) {
    const detail = err.message.trim().split('\n').slice(-3).join(' ').slice(0, 400);
    const message = err.notFound
      ? `The credential plugin "${err.plugin}" for ${ctx.cluster} was not found on PATH. Install it or make it reachable from your login shell.`
      : `Could not get credentials for ${ctx.cluster}: the credential plugin "${err.plugin}" failed${detail ? `: ${detail}` : ''}. Log in again (your session may have expired).`;
    return new ApiError('credentials-expired', message, { ...base, plugin: err.plugin, notFound: err.notFound });
  }

  const status = httpStatusOf(err);
  if (status !== undefined) {
    const s = kubeStatusOf(err);
    const facts = { ...base, status, ...(s.reason ? { reason: s.reason } : {}) };
    if (status === 401) {
      if (credentialExpired(ctx.credential)) {
        return new ApiError('credentials-expired', `The credentials for ${where} have expired. Log in again or renew the client certificate.`, facts);
      }
      const user = ctx.user ? ` of user "${ctx.user}"` : '';
      return new ApiError('unauthorized', `The API server of ${where} rejected the credentials${user} (401 Unauthorized).`, facts);
    }
    if (status === 403) {
      const f = parseForbidden(s.message ?? '');
      const verb = f.verb ?? ctx.verb;
      const resource = f.resource ?? ctx.resource;
      const who = f.user ? `User "${f.user}"` : 'Your user';
      const scope = f.namespace ? ` in namespace "${f.namespace}"` : '';
      const action = verb && resource ? `may not ${verb} ${resource}${scope}` : 'is not allowed to do this';
      return new ApiError('forbidden', `${who} ${action} on ${ctx.cluster} (403 Forbidden). Ask a cluster admin to grant it (see deploy/rbac).`, {
        ...facts,
        ...(verb ? { verb } : {}),
        ...(resource ? { resource } : {}),
        ...(f.user ? { user: f.user } : {}),
        ...(f.namespace ? { namespace: f.namespace } : {}),
      });
    }
    if (status === 404) {
      return new ApiError('not-found', s.message ?? `Not found: ${what(ctx)} on ${ctx.cluster}.`, facts);
    }
    const detail = s.message ? `: ${s.message}` : '';
    return new ApiError('api-error', `The API server of ${where} answered ${status} to ${what(ctx)}${detail}`, {
      ...facts,
      ...(s.retryAfterSeconds !== undefined ? { retryAfterSeconds: s.retryAfterSeconds } : {}),
    });
  }

  if (err && typeof err === 'object') {
    const code = errorCode(err);
    const raw = err instanceof Error ? err.message : String(err);
    const tls = code ? TLS_CODES[code] : undefined;
    if (tls || (code?.startsWith('ERR_SSL_') ?? false)) {
      const problem = tls ?? 'protocol';
      return new ApiError('tls-error', `Refusing to talk to ${where}: ${TLS_TEXT[problem]}.`, { ...base, code: code ?? null, tlsProblem: problem });
    }
    if ((code && UNREACHABLE_CODES.has(code)) || (err as { type?: unknown }).type === 'request-timeout' || (err as { name?: unknown }).name === 'TimeoutError' || isCallLimitAbort(err)) {
      const reason = code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : code === 'ECONNREFUSED'
          ? 'the connection was refused'
          : code === 'ECONNRESET' || code === 'EPIPE'
            ? 'the connection was reset'
            : 'it did not answer in time';
      return new ApiError('cluster-unreachable', `Cannot reach the API server of ${where}: ${reason}.`, { ...base, code: code ?? 'timeout' });
    }
    return new ApiError('api-error', `Request to ${where} failed: ${raw.slice(0, 400)}`, { ...base, ...(code ? { code } : {}) });
  }
  return new ApiError('internal', `Request to ${where} failed: ${String(err)}`, base);
}

/** node-fetch's rejection when a client-node call ran past the limit kubeConfigFor sets (the only signal those calls get). */
const isCallLimitAbort = (err: object) => (err as { name?: unknown }).name === 'AbortError' && (err as { type?: unknown }).type === 'aborted';

/** Failures worth retrying on their own (network, 5xx, 429); the rest need the operator. */
export function isTransient(err: ApiError): boolean {
  if (err.kind === 'cluster-unreachable') return true;
  if (err.kind !== 'api-error') return false;
  const status = err.facts.status;
  return typeof status !== 'number' || status >= 500 || status === 429 || status === 410;
}
