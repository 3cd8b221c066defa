import { join } from 'node:path';
import { ApiError } from '../api/errors.ts';
import type { ApiEvent } from '../api/events.ts';
import { parseRequest, type ApiHandler } from '../api/handler.ts';
import { apiMethods, type ApiMethod, type ApiParams, type ApiResult } from '../api/methods.ts';
import { kubeconfigFiles } from '../cluster/kubeconfig.ts';
import { ActivityLog } from './activity-log.ts';
import { ClusterRegistry } from './cluster-registry.ts';
import type { Handlers, MethodHandler, ServiceContext, ServiceOptions } from './context.ts';
import { methodModules } from './modules.ts';
import { PromptBroker } from './prompt-broker.ts';
import { SettingsStore } from './settings-store.ts';
import { defaultSshPoolFactory, SshAccess, type SshPoolFactory } from './ssh-access.ts';

export type { DemoFiles, Handlers, MethodHandler, MethodModule, ServiceContext, ServiceOptions } from './context.ts';
export { DEMO_CLUSTER_ID } from './cluster-registry.ts';

export interface CreateServiceOptions extends ServiceOptions {
  /** Tests inject SSH pools; default reads ssh_config/known_hosts from the profile. */
  sshPoolFactory?: SshPoolFactory;
}

/**
 * The core behind app/api: validates every call, routes it to the domain modules, pushes events to
 * subscribers (a new subscriber first gets each open cluster's state and node snapshot).
 */
export function createService(opts: CreateServiceOptions): ApiHandler & { readonly context: ServiceContext } {
  const listeners = new Set<(event: ApiEvent) => void>();
  const emit = (event: ApiEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch {
        // a failing subscriber must not break delivery to the others
      }
    }
  };
  const cleanups: Array<() => Promise<void> | void> = [];
  const activity = new ActivityLog(join(opts.dataDir, 'activity.jsonl'));
  activity.onEntry((payload) => emit({ topic: 'activity', payload }));
  const settings = new SettingsStore(join(opts.dataDir, 'settings.json'));
  if (settings.problem) activity.record('settings-invalid', settings.problem.message);
  const prompts = new PromptBroker();
  prompts.onPrompt((payload) => emit({ topic: 'prompt', payload }));
  const files = kubeconfigFiles({ ...(opts.kubeconfigPaths ? { flag: opts.kubeconfigPaths } : {}), ...(opts.env ? { env: opts.env } : {}) });
  const clusters = new ClusterRegistry({
    kubeconfigFiles: opts.kubeconfigPaths?.length === 0 ? [] : files.files,
    filesRequired: files.origin === 'flag',
    ...(opts.demo ? { demoKubeconfig: opts.demo.kubeconfigPath } : {}),
    loginShellPath: opts.loginShellPath ?? true,
    ...(opts.connectPatienceMs === undefined ? {} : { connectPatienceMs: opts.connectPatienceMs }),
    ...(opts.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.requestTimeoutMs }),
    emit,
    activity,
  });
  const ssh = new SshAccess(settings, prompts.sshPrompter(), opts.sshPoolFactory ?? defaultSshPoolFactory, {
    ...(opts.demo ? { demo: opts.demo } : {}),
    ...(opts.sshConfigPath ? { sshConfigPath: opts.sshConfigPath } : {}),
    ...(opts.knownHostsPath ? { knownHostsPath: opts.knownHostsPath } : {}),
  });
  const context: ServiceContext = {
    options: opts,
    clusters,
    settings,
    prompts,
    activity,
    ssh,
    emit,
    onClose: (fn) => cleanups.push(fn),
  };

  const handlers: Partial<Record<ApiMethod, MethodHandler<ApiMethod>>> = {};
  for (const module of [...methodModules, ...(opts.modules ?? [])]) {
    for (const [method, handler] of Object.entries(module(context)) as Array<[ApiMethod, MethodHandler<ApiMethod>]>) {
      if (handlers[method]) throw new Error(`API method ${method} is provided by two service modules`);
      handlers[method] = handler;
    }
  }

  let closed = false;
  return {
    context,
    async call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
      if (closed) throw new ApiError('internal', 'The service has been closed.');
      const request = parseRequest(method, params);
      const handler = handlers[request.method] as Handlers[M] | undefined;
      if (!handler) throw new ApiError('internal', `${method} is not available yet.`, { method });
      const result = await handler(request.params as Parameters<Handlers[M]>[0]);
      // The contract holds in both directions: a result that breaks it is a bug here, not the caller's problem.
      const checked = apiMethods[request.method].result.safeParse(result);
      if (!checked.success) {
        throw new ApiError('internal', `${method} produced a result outside the API contract: ${checked.error.issues[0]?.message ?? ''}`, { method });
      }
      return checked.data as ApiResult<M>;
    },
    subscribe(listener) {
      listeners.add(listener);
      queueMicrotask(() => {
        if (!listeners.has(listener)) return;
        for (const event of clusters.catchUp()) listener(event);
        for (const payload of prompts.list()) listener({ topic: 'prompt', payload });
      });
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      prompts.declineAll();
      for (const fn of cleanups.reverse()) await fn();
      await clusters.close();
      await ssh.close();
      listeners.clear();
    },
  };
}
