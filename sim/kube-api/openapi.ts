// A skeletal OpenAPI v3 description: one document per group/version listing each resource's paths and the
// PATCH/POST/PUT query parameters. kubectl reads it to learn that the server validates fields itself
// (fieldValidation), so it sends objects for server-side validation instead of needing full schemas.
import { createHash } from 'node:crypto';
import { sortedVersions } from './discovery.ts';
import type { ResourceDef, ResourceRegistry } from './resources.ts';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const queryParam = (name: string, type = 'string') => ({ name, in: 'query', schema: { type }, uniqueItems: true });
const writeParams = [queryParam('dryRun'), queryParam('fieldManager'), queryParam('fieldValidation')];
const patchParams = [...writeParams, queryParam('force', 'boolean')];

function resourcePaths(d: ResourceDef): Record<string, unknown> {
  const base = `/${gvPath(d.group, d.version)}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.resource}`;
  const gvk = { group: d.group, version: d.version, kind: d.kind };
  const op = (action: string, parameters: unknown[], extra: Record<string, unknown> = {}) => ({
    tags: [d.group || 'core'], operationId: `${action}${d.kind}`, parameters,
    responses: { 200: { description: 'OK' } }, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, ...extra,
  });
  const patchContent = {
    'application/json-patch+json': { schema: { type: 'object' } },
    'application/merge-patch+json': { schema: { type: 'object' } },
    'application/apply-patch+yaml': { schema: { type: 'object' } },
  };
  return {
    [base]: { get: op('list', []), post: op('post', writeParams) },
    [`${base}/{name}`]: {
      get: op('get', []), put: op('put', writeParams), delete: op('delete', []),
      patch: op('patch', patchParams, { requestBody: { content: patchContent } }),
    },
  };
}

export class OpenApiV3 {
  private readonly registry: ResourceRegistry;
  constructor(registry: ResourceRegistry) {
    this.registry = registry;
  }

  private documents(): Map<string, Record<string, unknown>> {
    const docs = new Map<string, Record<string, unknown>>();
    for (const [group, versions] of this.registry.groups()) {
      for (const version of sortedVersions(versions)) {
        const paths = Object.assign({}, ...this.registry.all()
          .filter((d) => d.group === group && d.version === version).map(resourcePaths)) as Record<string, unknown>;
        docs.set(gvPath(group, version), {
          openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.36.3' }, paths, components: { schemas: {} },
        });
      }
    }
    return docs;
  }

  root(): Record<string, unknown> {
    const paths: Record<string, unknown> = {};
    for (const [p, doc] of this.documents()) {
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
    }
    return { paths };
  }

  document(path: string): Record<string, unknown> | undefined {
    return this.documents().get(path);
  }
}
