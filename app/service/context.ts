import type { ApiEvent } from '../api/events.ts';
import type { ApiMethod, ApiParsedParams, ApiResult } from '../api/methods.ts';
import type { ActivityLog } from './activity-log.ts';
import type { ClusterRegistry } from './cluster-registry.ts';
import type { PromptBroker } from './prompt-broker.ts';
import type { SettingsStore } from './settings-store.ts';
import type { SshAccess } from './ssh-access.ts';

/** Files of the built-in simulated cluster (sim/cluster.ts writes them); the host starts the simulator. */
export interface DemoFiles {
  kubeconfigPath: string;
  sshConfigPath: string;
  knownHostsPath: string;
  /** The simulator's copy of Flatcar's release feed (sim/releases-feed.ts). */
  releaseFeedUrl?: string;
}

export interface ServiceOptions {
  /** --kubeconfig; without it $KUBECONFIG, then ~/.kube/config. An empty list means "no kubeconfig clusters". */
  kubeconfigPaths?: string[];
  /** Where settings.json, activity.jsonl and the pipeline journal live. */
  dataDir: string;
  demo?: DemoFiles;
  /** Overrides the ssh_config / known_hosts paths from settings (CLI --ssh-config). */
  sshConfigPath?: string;
  knownHostsPath?: string;
  /** Environment for kubeconfig discovery (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Resolve the login-shell PATH for exec credential plugins before the first connection (default true). */
  loginShellPath?: boolean;
  /** How long clusters.connect retries an unreachable API server before it reports it (default 15 s). */
  connectPatienceMs?: number;
  /** How long an API request of the node inventory waits for the first byte of the answer (default 30 s). */
  requestTimeoutMs?: number;
  /** Extra method modules (tests, hosts); merged after the built-in ones. */
  modules?: readonly MethodModule[];
}

/** What every method module gets: the long-lived parts of one running core. */
export interface ServiceContext {
  readonly options: Readonly<ServiceOptions>;
  readonly clusters: ClusterRegistry;
  readonly settings: SettingsStore;
  readonly prompts: PromptBroker;
  readonly activity: ActivityLog;
  /** SSH pools and node → SSH target resolution per cluster. */
  readonly ssh: SshAccess;
  /** Push an event to every subscriber. */
  emit(event: ApiEvent): void;
  /** Run at service close, in reverse order of registration. */
  onClose(cleanup: () => Promise<void> | void): void;
}

/** One API method's implementation: receives validated params (defaults filled in). */
export type MethodHandler<M extends ApiMethod> = (params: ApiParsedParams<M>) => Promise<ApiResult<M>>;
export type Handlers = { [M in ApiMethod]: MethodHandler<M> };

/**
 * The registration seam: each domain file exports one of these. createService calls every module once with the
 * shared context and merges what they return; a method two modules both provide is a startup error.
 */
export type MethodModule = (ctx: ServiceContext) => Partial<Handlers>;
