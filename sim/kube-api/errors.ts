// Kubernetes `Status` failures as values: every handler throws an ApiError and the router serialises it.

export interface StatusCause { reason?: string; message?: string; field?: string }
export interface StatusDetails {
  name?: string; group?: string; kind?: string; uid?: string;
  causes?: StatusCause[]; retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
  toStatus(): Record<string, unknown> {
    return statusBody(this.code, this.reason, this.message, this.details);
  }
}

export function statusBody(code: number, reason: string, message: string, details?: StatusDetails): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message };
  if (reason) body.reason = reason;
  if (details) body.details = details;
  body.code = code;
  return body;
}

export interface QualifiedResource { group: string; resource: string }

function qualified(r: QualifiedResource): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

function detailsFor(r: QualifiedResource, name: string): StatusDetails {
  const d: StatusDetails = { name };
  if (r.group) d.group = r.group;
  d.kind = r.resource;
  return d;
}

export const errors = {
  notFound: (r: QualifiedResource, name: string) =>
    new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, detailsFor(r, name)),
  alreadyExists: (r: QualifiedResource, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, detailsFor(r, name)),
  conflict: (r: QualifiedResource, name: string, why: string) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, detailsFor(r, name)),
  invalid: (kind: string, group: string, name: string, causes: StatusCause[]) => {
    const list = causes.map((c) => `${c.field}: ${c.message}`);
    const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    const details: StatusDetails = { name };
    if (group) details.group = group;
    details.kind = kind;
    details.causes = causes;
    return new ApiError(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${summary}`, details);
  },
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  methodNotAllowed: (r: QualifiedResource) =>
    new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', { ...(r.group ? { group: r.group } : {}), kind: r.resource }),
  unsupportedMediaType: (accepted: readonly string[]) =>
    new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`),
  notAcceptable: () => new ApiError(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf'),
  notFoundPath: () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {}),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }),
  tooManyRequests: (message: string, retryAfterSeconds: number, causes?: StatusCause[]) =>
    new ApiError(429, 'TooManyRequests', message, { ...(causes ? { causes } : {}), retryAfterSeconds }),
};
