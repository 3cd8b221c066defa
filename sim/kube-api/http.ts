// The HTTP face of the API server: authentication, authorization, routing of discovery, OpenAPI and resource
// requests, content negotiation (JSON, Table), watches, and Status bodies for every failure.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenAuthenticator, UserInfo } from './auth.ts';
import { ApiError, errors } from './errors.ts';
import { aggregatedDiscovery, aggregatedDiscoveryType, apiGroup, apiGroupList, apiResourceList, apiVersions, wantsAggregated } from './discovery.ts';
import type { OpenApiV3 } from './openapi.ts';
import { isObject } from './patch/json-value.ts';
import { bindPod, evictPod, type EvictionDeps } from './pods.ts';
import { decodeProtobuf, protobufType } from './protobuf.ts';
import type { Attributes, RbacAuthorizer } from './rbac.ts';
import type { ResourceDef, ResourceRegistry } from './resources.ts';
import { apiVersionOf, decodeBody, type DeleteOptions, type Rest } from './rest.ts';
import { serveScale } from './scale.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { toTable, wantsTable, type IncludeObject } from './table.ts';
import type { KubeObject } from './types.ts';
import { serveWatch } from './watch.ts';

export const serverVersion = {
  major: '1', minor: '36', emulationMajor: '1', emulationMinor: '36', minCompatibilityMajor: '1', minCompatibilityMinor: '35',
  gitVersion: 'v1.36.3-sim', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
  buildDate: '2026-08-01T00:00:00Z', goVersion: 'go1.26.0', compiler: 'gc', platform: 'linux/amd64',
};

const maxBodyBytes = 3 * 1024 * 1024;

export interface HttpContext {
  registry: ResourceRegistry;
  rest: Rest;
  rbac: RbacAuthorizer;
  auth: TokenAuthenticator;
  openapi: OpenApiV3;
  eviction: EvictionDeps;
  serverAddress(): string;
  /** a pending injected failure for this request, if any */
  injectedFailure(userAgent: string | undefined): ApiError | undefined;
  watchTimeoutMs: number;
  bookmarkIntervalMs: number;
  trackWatch(stop: () => void): void;
}

interface ParsedResource {
  def: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

function send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' };
  if (isObject(body) && body.kind === 'Status' && isObject(body.details) && typeof body.details.retryAfterSeconds === 'number' && body.details.retryAfterSeconds > 0) {
    headers['Retry-After'] = String(body.details.retryAfterSeconds);
  }
  res.writeHead(code, headers);
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ApiError ? e : errors.internal(e instanceof Error ? e.message : String(e));
  if (!res.headersSent) send(res, err.code, err.toStatus());
  else res.end();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) {
        reject(new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseResourcePath(registry: ResourceRegistry, segs: string[]): ParsedResource | undefined {
  let group = '';
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    version = segs[1] ?? '';
    rest = segs.slice(2);
  } else {
    group = segs[1] ?? '';
    version = segs[2] ?? '';
    rest = segs.slice(3);
  }
  if (rest.length === 0) return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const candidate = registry.lookup(group, version, rest[2] as string);
    if (candidate?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  if (rest.length > 3) return undefined;
  const def = registry.lookup(group, version, rest[0] as string);
  if (!def) return undefined;
  return { def, namespace, name: rest[1], subresource: rest[2] };
}

function verbFor(method: string, p: ParsedResource, query: URLSearchParams): string {
  switch (method) {
    case 'GET': case 'HEAD':
      if (p.name !== undefined) return 'get';
      return ['true', '1'].includes(query.get('watch') ?? '') ? 'watch' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return p.name !== undefined ? 'delete' : 'deletecollection';
    default: return method.toLowerCase();
  }
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw errors.badRequest(`invalid ${name}: ${JSON.stringify(v)}`);
  return n;
}

function deleteOptions(body: string, query: URLSearchParams): DeleteOptions {
  const out: DeleteOptions = {};
  if (body.trim() !== '') {
    const parsed = decodeBody(body, 'application/json');
    if (isObject(parsed)) {
      if (typeof parsed.gracePeriodSeconds === 'number') out.gracePeriodSeconds = parsed.gracePeriodSeconds;
      if (typeof parsed.propagationPolicy === 'string') out.propagationPolicy = parsed.propagationPolicy;
      if (parsed.orphanDependents === true) out.propagationPolicy = 'Orphan';
      if (isObject(parsed.preconditions)) {
        const p = parsed.preconditions;
        out.preconditions = {
          ...(typeof p.uid === 'string' ? { uid: p.uid } : {}),
          ...(typeof p.resourceVersion === 'string' ? { resourceVersion: p.resourceVersion } : {}),
        };
      }
      if (Array.isArray(parsed.dryRun)) out.dryRun = parsed.dryRun.filter((x): x is string => typeof x === 'string');
    }
  }
  const grace = intParam(query, 'gracePeriodSeconds');
  if (grace !== undefined) out.gracePeriodSeconds = grace;
  const policy = query.get('propagationPolicy');
  if (policy) out.propagationPolicy = policy;
  if (query.getAll('dryRun').includes('All')) out.dryRun = ['All'];
  return out;
}

function acceptable(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((t) => /json|yaml|\*\/\*|application\/\*/.test(t));
}

export class ApiHttpHandler {
  private readonly ctx: HttpContext;
  constructor(ctx: HttpContext) {
    this.ctx = ctx;
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((e: unknown) => sendError(res, e));
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const injected = this.ctx.injectedFailure(req.headers['user-agent']);
    if (injected) {
      req.resume();
      return send(res, injected.code, injected.toStatus());
    }
    const url = new URL(req.url ?? '/', 'https://localhost');
    const authenticated = this.ctx.auth.authenticate(req.headers.authorization);
    if (!authenticated) {
      req.resume();
      return send(res, 401, errors.unauthorized().toStatus());
    }
    const user = this.impersonate(authenticated, req);
    if (!acceptable(req.headers.accept)) {
      req.resume();
      throw errors.notAcceptable();
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const segs = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const isResource = (segs[0] === 'api' && segs.length >= 3) || (segs[0] === 'apis' && segs.length >= 4);
    if (!isResource) {
      req.resume();
      this.ctx.rbac.authorize(this.nonResourceAttributes(user, method, path));
      return this.discovery(req, res, segs, path);
    }
    const parsed = parseResourcePath(this.ctx.registry, segs);
    if (!parsed) {
      req.resume();
      throw errors.notFoundPath();
    }
    const verb = verbFor(method, parsed, url.searchParams);
    const attrs: Attributes = {
      user, verb, resourceRequest: true, apiGroup: parsed.def.group, resource: parsed.def.resource,
      subresource: parsed.subresource ?? '', name: parsed.name ?? '', namespace: parsed.namespace ?? '', path,
    };
    if (parsed.def.kind === 'Namespace' && parsed.name) attrs.namespace = parsed.name;
    this.ctx.rbac.authorize(attrs);
    const raw = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? await readBody(req) : (req.resume(), Buffer.alloc(0));
    return this.resource(req, res, parsed, verb, url.searchParams, raw, user);
  }

  /** Impersonate-User / Impersonate-Group headers (kubectl --as / --as-group), allowed by the impersonate verb. */
  private impersonate(user: UserInfo, req: IncomingMessage): UserInfo {
    const asUser = req.headers['impersonate-user'];
    const rawGroups = req.headers['impersonate-group'];
    const asGroups = rawGroups === undefined ? [] : Array.isArray(rawGroups) ? rawGroups : [rawGroups];
    if (typeof asUser !== 'string' || asUser === '') {
      if (asGroups.length) throw errors.badRequest('requested [] without impersonating a user');
      return user;
    }
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(asUser);
    const check = (resource: string, name: string, namespace = '') => this.ctx.rbac.authorize({
      user, verb: 'impersonate', resourceRequest: true, apiGroup: '', resource, subresource: '', name, namespace, path: '',
    });
    if (sa) check('serviceaccounts', sa[2] as string, sa[1] as string);
    else check('users', asUser);
    for (const g of asGroups) check('groups', g);
    const implied = sa ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`] : [];
    return { name: asUser, groups: [...new Set([...asGroups, ...implied, 'system:authenticated'])] };
  }

  private nonResourceAttributes(user: UserInfo, method: string, path: string): Attributes {
    return { user, verb: method === 'HEAD' ? 'get' : method.toLowerCase(), resourceRequest: false, apiGroup: '', resource: '', subresource: '', name: '', namespace: '', path };
  }

  private discovery(req: IncomingMessage, res: ServerResponse, segs: string[], path: string): void {
    const { registry } = this.ctx;
    const accept = req.headers.accept;
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed({ group: '', resource: '' });
    if (path === '/version') return send(res, 200, serverVersion);
    if (['/healthz', '/livez', '/readyz'].includes(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (path === '/api') {
      return wantsAggregated(accept)
        ? send(res, 200, aggregatedDiscovery(registry, true), aggregatedDiscoveryType)
        : send(res, 200, apiVersions(this.ctx.serverAddress()));
    }
    if (path === '/apis') {
      return wantsAggregated(accept)
        ? send(res, 200, aggregatedDiscovery(registry, false), aggregatedDiscoveryType)
        : send(res, 200, apiGroupList(registry));
    }
    if (segs[0] === 'api' && segs.length === 2) {
      const list = apiResourceList(registry, '', segs[1] as string);
      if (list) return send(res, 200, list);
    }
    if (segs[0] === 'apis' && segs.length === 2) {
      const g = apiGroup(registry, segs[1] as string);
      if (g) return send(res, 200, g);
    }
    if (segs[0] === 'apis' && segs.length === 3) {
      const list = apiResourceList(registry, segs[1] as string, segs[2] as string);
      if (list) return send(res, 200, list);
    }
    if (path === '/openapi/v3') return send(res, 200, this.ctx.openapi.root());
    if (segs[0] === 'openapi' && segs[1] === 'v3') {
      const doc = this.ctx.openapi.document(segs.slice(2).join('/'));
      if (doc) return send(res, 200, doc);
    }
    throw errors.notFoundPath();
  }

  private present = (def: ResourceDef) => (o: KubeObject): KubeObject => this.ctx.rest.present(def, o);

  private async resource(req: IncomingMessage, res: ServerResponse, p: ParsedResource, verb: string,
    query: URLSearchParams, raw: Buffer, user: UserInfo): Promise<void> {
    const { rest } = this.ctx;
    const { def, namespace, name, subresource } = p;
    const contentType = String(req.headers['content-type'] ?? 'application/json');
    const jsonTypes = ['application/json', 'application/yaml', protobufType];
    const isProtobuf = contentType.startsWith(protobufType);
    if (isProtobuf && verb !== 'create' && verb !== 'update') throw errors.unsupportedMediaType(jsonTypes);
    const body = raw.toString('utf8');
    const accept = req.headers.accept;
    const table = wantsTable(accept);
    const dryRun = query.getAll('dryRun').includes('All');
    const fieldManager = query.get('fieldManager') || String(req.headers['user-agent'] ?? '').split('/')[0]?.slice(0, 128) || 'unknown';
    const write = { dryRun, fieldManager };
    if (subresource !== undefined && !def.subresources.some((s) => s.name === subresource)) throw errors.notFoundPath();
    const subVerbs = subresource ? def.subresources.find((s) => s.name === subresource)?.verbs ?? [] : def.verbs;
    if (!subVerbs.includes(verb)) throw errors.methodNotAllowed({ group: def.group, resource: def.resource });
    if (subresource === 'scale') return send(res, 200, serveScale(rest, def, verb, namespace, name as string, contentType, body, write));
    const include = (query.get('includeObject') ?? 'Metadata') as IncludeObject;
    const tableType = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    switch (verb) {
      case 'get': {
        const obj = rest.get(def, namespace, name as string);
        if (table) return send(res, 200, toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion }, include, this.present(def)), tableType);
        return send(res, 200, rest.present(def, obj));
      }
      case 'list': {
        const limit = intParam(query, 'limit');
        const result = rest.list(def, namespace, {
          labelSelector: query.get('labelSelector'), fieldSelector: query.get('fieldSelector'),
          ...(limit !== undefined ? { limit } : {}), continueToken: query.get('continue'),
        });
        const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
        if (result.continueToken) meta.continue = result.continueToken;
        if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
        if (table) return send(res, 200, toTable(def, result.items, meta, include, this.present(def)), tableType);
        const items = result.items.map((o) => {
          const shown = rest.present(def, o);
          if (!def.builtin) return shown;
          const { kind: _k, apiVersion: _a, ...bare } = shown;
          return bare;
        });
        return send(res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: meta, items });
      }
      case 'watch': {
        const timeout = intParam(query, 'timeoutSeconds');
        const rv = query.get('resourceVersion') ?? undefined;
        if (rv !== undefined && rv !== '' && !/^\d+$/.test(rv)) throw errors.badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
        return serveWatch(rest.store, res, {
          def, namespace,
          labels: parseLabelSelector(query.get('labelSelector')),
          fields: parseFieldSelector(query.get('fieldSelector'), def.kind),
          resourceVersion: rv,
          allowBookmarks: query.get('allowWatchBookmarks') === 'true',
          sendInitialEvents: query.get('sendInitialEvents') === 'true',
          timeoutMs: timeout !== undefined && timeout > 0 ? timeout * 1000 : this.ctx.watchTimeoutMs,
          bookmarkIntervalMs: this.ctx.bookmarkIntervalMs,
          present: table
            ? (o) => toTable(def, [o], { resourceVersion: o.metadata.resourceVersion }, include, this.present(def))
            : this.present(def),
        }, (stop) => this.ctx.trackWatch(stop));
      }
      case 'create': {
        const decoded = isProtobuf ? decodeProtobuf(raw, jsonTypes) : decodeBody(body, contentType);
        if (subresource === 'eviction') return send(res, 201, evictPod(this.ctx.eviction, namespace ?? '', name as string, decoded, dryRun));
        if (subresource === 'binding') return send(res, 201, bindPod(rest, def, namespace ?? '', name as string, decoded));
        if (name !== undefined) throw errors.methodNotAllowed({ group: def.group, resource: def.resource });
        if (def.kind === 'SelfSubjectAccessReview') return send(res, 201, this.accessReview(decoded, user));
        return send(res, 201, rest.present(def, rest.create(def, namespace, decoded, write)));
      }
      case 'update': {
        const decoded = isProtobuf ? decodeProtobuf(raw, jsonTypes) : decodeBody(body, contentType);
        return send(res, 200, rest.present(def, rest.update(def, namespace, name as string, decoded, subresource, write)));
      }
      case 'patch': {
        const type = contentType.startsWith('application/apply-patch') ? 'apply' : 'other';
        const { object, created } = rest.patch(def, namespace, name as string, String(req.headers['content-type'] ?? ''), body, {
          ...(subresource ? { subresource } : {}), dryRun, force: query.get('force') === 'true',
          fieldManager: type === 'apply' ? query.get('fieldManager') ?? '' : fieldManager,
        });
        return send(res, created ? 201 : 200, rest.present(def, object));
      }
      case 'delete': {
        const { object, removed } = rest.delete(def, namespace, name as string, deleteOptions(body, query));
        if (removed && !def.returnsDeletedObject) {
          return send(res, 200, {
            kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
            details: { name, ...(def.group ? { group: def.group } : {}), kind: def.resource, uid: object.metadata.uid },
          });
        }
        return send(res, 200, rest.present(def, object));
      }
      case 'deletecollection': {
        const options = deleteOptions(body, query);
        const victims = rest.list(def, namespace, { labelSelector: query.get('labelSelector'), fieldSelector: query.get('fieldSelector') }).items;
        const items = victims.map((o) => rest.present(def, rest.delete(def, o.metadata.namespace, o.metadata.name, options).object));
        return send(res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(rest.store.currentRv()) }, items });
      }
      default:
        throw errors.methodNotAllowed({ group: def.group, resource: def.resource });
    }
  }

  private accessReview(body: unknown, user: UserInfo): Record<string, unknown> {
    const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
    const str = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'string' ? o[k] : '');
    let attrs: Attributes;
    if (isObject(spec.resourceAttributes)) {
      const r = spec.resourceAttributes;
      attrs = { user, verb: str(r, 'verb'), resourceRequest: true, apiGroup: str(r, 'group'), resource: str(r, 'resource'),
        subresource: str(r, 'subresource'), name: str(r, 'name'), namespace: str(r, 'namespace'), path: '' };
    } else if (isObject(spec.nonResourceAttributes)) {
      const r = spec.nonResourceAttributes;
      attrs = { user, verb: str(r, 'verb'), resourceRequest: false, apiGroup: '', resource: '', subresource: '', name: '', namespace: '', path: str(r, 'path') };
    } else {
      throw errors.invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', [{ reason: 'FieldValueRequired', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified', field: 'spec.resourceAttributes' }]);
    }
    const allowed = this.ctx.rbac.allowed(attrs);
    return {
      kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec,
      status: { allowed, ...(allowed ? { reason: `RBAC: allowed by ClusterRoleBinding or RoleBinding for User "${user.name}"` } : {}) },
    };
  }
}

