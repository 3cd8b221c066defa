import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig, type Cluster, type Context, type RequestContext, type User } from '@kubernetes/client-node';
import { ApiError } from '../api/errors.ts';

export type KubeconfigOrigin = 'flag' | 'env' | 'default' | 'demo';

/** Which files to read, in kubectl's order: --kubeconfig, else $KUBECONFIG (path list), else ~/.kube/config. */
export function kubeconfigFiles(opts: { flag?: readonly string[]; env?: NodeJS.ProcessEnv; home?: string } = {}): { files: string[]; origin: KubeconfigOrigin } {
  if (opts.flag && opts.flag.length > 0) return { files: [...opts.flag], origin: 'flag' };
  const env = opts.env ?? process.env;
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  if (fromEnv.length > 0) return { files: [...new Set(fromEnv)], origin: 'env' };
  return { files: [join(opts.home ?? homedir(), '.kube', 'config')], origin: 'default' };
}

/** Something in a file that was skipped; the rest of the configuration still loads. */
export interface KubeconfigWarning {
  file: string;
  message: string;
}

/** One context, resolved against the merged clusters and users. Each becomes its own connection. */
export interface ContextEntry {
  name: string;
  file: string;                 // the file whose definition of this context won
  namespace: string | null;
  cluster: Cluster | null;
  user: User | null;
  server: string;
  /** Set when the context cannot be used (missing cluster or user); the others are unaffected. */
  error: ApiError | null;
}

export interface LoadedKubeconfig {
  files: string[];
  contexts: ContextEntry[];
  /** kubectl semantics: the first file that sets current-context decides. */
  currentContext: string | null;
  warnings: KubeconfigWarning[];
}

interface FileContent {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string | null;
}

function readFile(file: string, warnings: KubeconfigWarning[]): FileContent | null {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file, { onInvalidEntry: 'throw' });
  } catch (strictErr) {
    // Retry leniently so one broken entry does not hide the valid ones; report what was dropped.
    try {
      kc.loadFromFile(file, { onInvalidEntry: 'filter' });
      warnings.push({ file, message: `${file}: skipped an invalid entry (${(strictErr as Error).message}).` });
    } catch (err) {
      warnings.push({ file, message: `${file}: not a readable kubeconfig (${(err as Error).message.split('\n')[0]}); ignored.` });
      return null;
    }
  }
  return {
    clusters: kc.getClusters(),
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext() || null,
  };
}

/** Canonical form for "is this the same definition": key order of the parsed objects is fixed by client-node. */
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

class FirstWins<T extends { name: string }> {
  readonly items = new Map<string, { value: T; file: string }>();
  constructor(private readonly kind: string, private readonly warnings: KubeconfigWarning[]) {}

  add(value: T, file: string): void {
    const earlier = this.items.get(value.name);
    if (!earlier) {
      this.items.set(value.name, { value, file });
    } else if (earlier.file === file) {
      this.warnings.push({ file, message: `${file}: ${this.kind} "${value.name}" is defined twice; the first definition is used.` });
    } else if (!same(earlier.value, value)) {
      this.warnings.push({
        file,
        message: `${file}: ${this.kind} "${value.name}" is already defined in ${earlier.file}; this definition is ignored (the first file wins, as with kubectl).`,
      });
    }
  }
}

/**
 * Reads and merges kubeconfig files the way kubectl does: the first definition of a cluster, user or context name
 * wins and the first file's current-context is used. client-node's own merge throws on duplicate names and lets
 * the last file's current-context win; this does neither. Missing files from $KUBECONFIG are skipped like kubectl;
 * a missing file given explicitly is reported.
 */
export function loadKubeconfigs(files: readonly string[], opts: { required?: boolean } = {}): LoadedKubeconfig {
  const warnings: KubeconfigWarning[] = [];
  const clusters = new FirstWins<Cluster>('cluster', warnings);
  const users = new FirstWins<User>('user', warnings);
  const contexts = new FirstWins<Context>('context', warnings);
  let currentContext: string | null = null;
  const read: string[] = [];

  for (const file of files) {
    if (!existsSync(file)) {
      if (opts.required) warnings.push({ file, message: `${file}: file not found.` });
      continue;
    }
    const content = readFile(file, warnings);
    if (!content) continue;
    read.push(file);
    for (const c of content.clusters) clusters.add(c, file);
    for (const u of content.users) users.add(u, file);
    for (const c of content.contexts) contexts.add(c, file);
    currentContext ??= content.currentContext;
  }

  const entries: ContextEntry[] = [];
  for (const { value: ctx, file } of contexts.items.values()) {
    const cluster = clusters.items.get(ctx.cluster)?.value ?? null;
    const user = users.items.get(ctx.user)?.value ?? null;
    const missing = [cluster ? null : `cluster "${ctx.cluster}"`, user ? null : `user "${ctx.user}"`].filter((m) => m !== null);
    entries.push({
      name: ctx.name,
      file,
      namespace: ctx.namespace ?? null,
      cluster,
      user,
      server: cluster?.server ?? '',
      error: missing.length
        ? new ApiError('kubeconfig-invalid', `Context "${ctx.name}" (${file}) refers to ${missing.join(' and ')}, which no kubeconfig file defines.`, {
            context: ctx.name,
            file,
          })
        : null,
    });
  }
  for (const { value: cluster, file } of clusters.items.values()) {
    if (!cluster.skipTLSVerify) continue;
    warnings.push({
      file,
      message: `${file}: cluster "${cluster.name}" sets insecure-skip-tls-verify: the API server's certificate is not checked, so anyone on the network path can pose as the cluster and receive your credentials.`,
    });
  }
  if (currentContext !== null && !contexts.items.has(currentContext)) {
    warnings.push({ file: read[0] ?? '', message: `current-context "${currentContext}" does not name any context.` });
    currentContext = null;
  }
  return { files: read, contexts: entries, currentContext, warnings };
}

/**
 * How long one call of a client-node API client (a patch, an eviction, a Lease update) may take in all. client-node
 * sets no limit, so an API server that accepts the connection and never answers would stall a run for good; a
 * call that passes this fails like any unreachable API and the caller's retry or needs-attention path takes over.
 */
export const API_CALL_LIMIT_MS = 60_000;

/** client-node's KubeConfig with a time limit on every API call that does not bring its own abort signal. */
class LimitedKubeConfig extends KubeConfig {
  constructor(private readonly callLimitMs: number) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (!context.getSignal()) context.setSignal(AbortSignal.timeout(this.callLimitMs));
  }
}

/** A KubeConfig of its own for one context, with that context current (client-node binds clients to it). */
export function kubeConfigFor(entry: ContextEntry, callLimitMs = API_CALL_LIMIT_MS): KubeConfig {
  if (!entry.cluster || !entry.user) throw entry.error ?? new ApiError('kubeconfig-invalid', `Context "${entry.name}" is incomplete.`);
  const kc = new LimitedKubeConfig(callLimitMs);
  kc.loadFromOptions({
    clusters: [entry.cluster],
    users: [entry.user],
    contexts: [{ name: entry.name, cluster: entry.cluster.name, user: entry.user.name, ...(entry.namespace ? { namespace: entry.namespace } : {}) }],
    currentContext: entry.name,
  });
  return kc;
}
