// RBAC authorization over the stored Roles, ClusterRoles and their bindings (rbac.authorization.k8s.io/v1).
import type { UserInfo } from './auth.ts';
import { ApiError } from './errors.ts';
import { matchesLabelSelector } from './selectors.ts';
import type { Store } from './store.ts';
import type { PolicyRule, Role, RoleBinding, Subject } from './types.ts';

export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
  namespace: string;
  path: string;
}

const clusterRoles = 'clusterroles.rbac.authorization.k8s.io';
const clusterRoleBindings = 'clusterrolebindings.rbac.authorization.k8s.io';
const roles = 'roles.rbac.authorization.k8s.io';
const roleBindings = 'rolebindings.rbac.authorization.k8s.io';

function subjectMatches(s: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  if (s.kind === 'User') return s.name === user.name;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') {
    return user.name === `system:serviceaccount:${s.namespace ?? bindingNamespace ?? ''}:${s.name}`;
  }
  return false;
}

const has = (list: readonly string[] | undefined, v: string): boolean => (list ?? []).includes('*') || (list ?? []).includes(v);

function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, a.apiGroup)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resources = rule.resources ?? [];
  const resourceOk = resources.includes('*') || resources.includes(combined)
    || (a.subresource !== '' && resources.includes(`*/${a.subresource}`));
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(a.name);
}

export class RbacAuthorizer {
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  private clusterRoleRules(name: string): PolicyRule[] {
    const role = this.store.get(clusterRoles, undefined, name) as Role | undefined;
    if (!role) return [];
    const selectors = role.aggregationRule?.clusterRoleSelectors;
    if (!selectors) return role.rules ?? [];
    return this.store.list(clusterRoles).flatMap((o) => {
      const r = o as Role;
      return r.metadata.name !== name && selectors.some((s) => matchesLabelSelector(s, r.metadata.labels)) ? r.rules ?? [] : [];
    });
  }

  private rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    const out: PolicyRule[] = [];
    for (const o of this.store.list(clusterRoleBindings)) {
      const b = o as RoleBinding;
      if (b.roleRef.kind === 'ClusterRole' && (b.subjects ?? []).some((s) => subjectMatches(s, user, undefined))) {
        out.push(...this.clusterRoleRules(b.roleRef.name));
      }
    }
    if (namespace) {
      for (const o of this.store.list(roleBindings, namespace)) {
        const b = o as RoleBinding;
        if (!(b.subjects ?? []).some((s) => subjectMatches(s, user, namespace))) continue;
        if (b.roleRef.kind === 'ClusterRole') out.push(...this.clusterRoleRules(b.roleRef.name));
        else out.push(...((this.store.get(roles, namespace, b.roleRef.name) as Role | undefined)?.rules ?? []));
      }
    }
    return out;
  }

  allowed(a: Attributes): boolean {
    if (a.user.groups.includes('system:masters')) return true;
    return this.rulesFor(a.user, a.namespace).some((r) => ruleAllows(r, a));
  }

  /** Throws the Forbidden Status the real RBAC authorizer produces. */
  authorize(a: Attributes): void {
    if (this.allowed(a)) return;
    const who = `User "${a.user.name}"`;
    if (!a.resourceRequest) {
      throw new ApiError(403, 'Forbidden', `forbidden: ${who} cannot ${a.verb} path "${a.path}"`, {});
    }
    const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
    const subject = a.name ? `${qualified} "${a.name}"` : qualified;
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    throw new ApiError(403, 'Forbidden',
      `${subject} is forbidden: ${who} cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`,
      { ...(a.name ? { name: a.name } : {}), ...(a.apiGroup ? { group: a.apiGroup } : {}), kind: a.resource });
  }
}

/** The RBAC objects a fresh cluster starts with (a subset of the apiserver's bootstrap policy). */
export function bootstrapRbac(): Array<{ resource: string; object: Record<string, unknown> }> {
  const labels = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
  const annotations = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };
  const role = (name: string, rules: PolicyRule[]) => ({
    resource: clusterRoles,
    object: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels, annotations }, rules },
  });
  const binding = (name: string, roleName: string, ...groups: string[]) => ({
    resource: clusterRoleBindings,
    object: {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels, annotations },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
    },
  });
  return [
    role('cluster-admin', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }]),
    binding('cluster-admin', 'cluster-admin', 'system:masters'),
    role('system:discovery', [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] }]),
    binding('system:discovery', 'system:discovery', 'system:authenticated'),
    role('system:public-info-viewer', [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }]),
    binding('system:public-info-viewer', 'system:public-info-viewer', 'system:authenticated', 'system:unauthenticated'),
    role('system:basic-user', [{ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] }]),
    binding('system:basic-user', 'system:basic-user', 'system:authenticated'),
  ];
}
