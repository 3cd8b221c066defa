import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ApiError } from '../../app/api/errors.ts';
import type { ApiHandler } from '../../app/api/handler.ts';
import type { SimCluster } from '../../sim/cluster.ts';
import { demoAddresses } from '../host/demo-addresses.ts';
import { DEMO_NODES } from '../host/demo-fleet.ts';
import { defaultUserDataDir, privateDataDir } from '../host/user-data-dir.ts';
import { CliError, EXIT, type CliIo } from './command.ts';
import { duration } from './duration.ts';
import { answerPromptsOnTerminal } from './prompts.ts';

/** The flags every cluster command takes (spread into a command's `options`). */
export const clusterOptions = {
  kubeconfig: { type: 'string', multiple: true },
  context: { type: 'string' },
  'ssh-config': { type: 'string' },
  'known-hosts': { type: 'string' },
  'data-dir': { type: 'string' },
  'request-timeout': { type: 'string' },
  demo: { type: 'boolean' },
  'demo-nodes': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const clusterOptionsHelp = `cluster options:
  --kubeconfig F     kubeconfig file (repeatable); default $KUBECONFIG, then ~/.kube/config
  --context C        kubeconfig context; default the current-context
  --ssh-config F     OpenSSH client config; default ~/.ssh/config
  --known-hosts F    known_hosts file; default as in the SSH config, then ~/.ssh/known_hosts
  --data-dir DIR     settings and activity log; default the desktop app's folder
  --request-timeout D  give up on the API server when it does not answer within D (default 5s), e.g. 30s
  --demo             start the built-in simulated Flatcar cluster in this process and use it
  --demo-nodes N     nodes of the simulated cluster (default ${DEMO_NODES})
  --json             machine-readable output
  -h, --help         show help`;

/** How long a command keeps retrying an API server that refused or timed out (a blip, e.g. a restarting proxy). */
const CONNECT_RETRY_MS = 1000;

const nonEmpty = (flag: string) => z.string().min(1, `${flag} must not be empty`);

export const ClusterArgs = z
  .object({
    kubeconfig: z.array(nonEmpty('--kubeconfig')).optional(),
    context: nonEmpty('--context').optional(),
    'ssh-config': nonEmpty('--ssh-config').optional(),
    'known-hosts': nonEmpty('--known-hosts').optional(),
    'data-dir': nonEmpty('--data-dir').optional(),
    'request-timeout': duration('--request-timeout').pipe(z.number().min(1, '--request-timeout must be at least 1s')).default(5),
    demo: z.boolean().default(false),
    'demo-nodes': z
      .string()
      .regex(/^\d+$/, '--demo-nodes must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1, '--demo-nodes must be 1 to 250').max(250, '--demo-nodes must be 1 to 250'))
      .default(DEMO_NODES),
    json: z.boolean().default(false),
    help: z.boolean().default(false),
  })
  .refine((a) => !(a.demo && (a.kubeconfig || a.context)), { message: '--demo cannot be combined with --kubeconfig or --context' });
export type ClusterArgs = z.infer<typeof ClusterArgs>;

export interface OpenCluster {
  service: ApiHandler;
  cluster: string;
  close(): Promise<void>;
}

const CLUSTER_ERROR_KINDS = new Set(['kubeconfig-invalid', 'cluster-unreachable', 'tls-error', 'unauthorized', 'forbidden', 'credentials-expired', 'not-found']);

/** An ApiError from connecting, as a CliError with the matching exit code. */
export function cliErrorFrom(err: unknown): CliError {
  if (err instanceof CliError) return err;
  // a node name the cluster does not have is a bad argument, not a cluster that cannot be used
  if (err instanceof ApiError && err.kind === 'not-found' && typeof err.facts.node === 'string') return new CliError(err.message, EXIT.usage);
  if (err instanceof ApiError) return new CliError(err.message, CLUSTER_ERROR_KINDS.has(err.kind) ? EXIT.cluster : EXIT.failed);
  return new CliError(err instanceof Error ? err.message : String(err), EXIT.failed);
}

/**
 * A --kubeconfig the operator named that yields no cluster (missing, not YAML, no contexts) is the command's
 * error, in the words of what was wrong with it, not a warning followed by a generic "pass --kubeconfig".
 */
function unusableKubeconfig(files: readonly string[], clusters: ReadonlyArray<{ kubeconfigPath: string | null }>, warnings: ReadonlyArray<{ file: string; message: string }>): CliError | null {
  for (const file of files) {
    if (clusters.some((c) => c.kubeconfigPath !== null && resolve(c.kubeconfigPath) === resolve(file))) continue;
    const why = warnings
      .filter((w) => resolve(w.file) === resolve(file))
      .map((w) => w.message.replace(`${w.file}: `, '').replace(/; ignored\.$/, '.'));
    return new CliError(`--kubeconfig ${file}: ${why.length > 0 ? why.join(' ') : 'it defines no context (a kubeconfig lists clusters, users and the contexts joining them).'}`, EXIT.cluster);
  }
  return null;
}

/**
 * Starts the core for one command: with --demo also the simulator (torn down by close()), else the operator's
 * kubeconfig; picks the cluster (--context, else current-context) and connects to it.
 */
export async function openCluster(args: ClusterArgs, io: CliIo): Promise<OpenCluster> {
  // Loaded here, not at the top: `flatdeck --help` and flag errors stay fast.
  const { createService, DEMO_CLUSTER_ID } = await import('../../app/service/index.ts');
  let sim: SimCluster | null = null;
  let simDir: string | null = null;
  if (args.demo) {
    const { startSimCluster } = await import('../../sim/cluster.ts');
    simDir = mkdtempSync(join(tmpdir(), 'flatdeck-cli-demo-'));
    // The control endpoint is for tests and `npm run sim`; here a token nobody knows closes it.
    const controlToken = randomBytes(32).toString('hex');
    sim = await startSimCluster({ nodes: args['demo-nodes'], profile: 'mixed', stateDir: simDir, sshPort: 0, ...demoAddresses(), timeScale: 0.05, workload: false, fluo: 'runtime', controlToken });
  }
  // Only the API from here on, as the UI uses it.
  const service: ApiHandler = createService({
    dataDir: privateDataDir(args['data-dir'] ?? defaultUserDataDir(io.env)),
    env: io.env,
    // Started from a shell, the CLI already has the login PATH its exec credential plugins need.
    loginShellPath: false,
    // like kubectl, a command fails soon when the API server does not answer: one quick retry, not the GUI's 15 s
    requestTimeoutMs: args['request-timeout'] * 1000,
    connectPatienceMs: CONNECT_RETRY_MS,
    ...(sim ? { kubeconfigPaths: [], demo: { kubeconfigPath: sim.kubeconfigPath, sshConfigPath: sim.sshConfigPath, knownHostsPath: sim.knownHostsPath } } : {}),
    ...(args.kubeconfig ? { kubeconfigPaths: args.kubeconfig } : {}),
    ...(args['ssh-config'] ? { sshConfigPath: args['ssh-config'] } : {}),
    ...(args['known-hosts'] ? { knownHostsPath: args['known-hosts'] } : {}),
  });
  const stopPrompts = answerPromptsOnTerminal(service, io);
  const close = async () => {
    stopPrompts();
    await service.close();
    await sim?.stop();
    if (simDir) rmSync(simDir, { recursive: true, force: true });
  };
  try {
    const kubeconfig = await service.call('clusters.kubeconfig', {});
    if (args.kubeconfig) {
      const unusable = unusableKubeconfig(args.kubeconfig, await service.call('clusters.list', {}), kubeconfig.warnings);
      if (unusable) throw unusable;
    }
    for (const w of kubeconfig.warnings) io.stderr.write(`flatdeck: warning: ${w.message}\n`);
    const cluster = sim ? DEMO_CLUSTER_ID : (args.context ?? kubeconfig.currentCluster);
    if (!cluster) {
      const known = (await service.call('clusters.list', {})).map((c) => c.id);
      if (known.length) throw new CliError(`No current-context is set; pass --context (one of: ${known.join(', ')}).`, EXIT.usage);
      throw new CliError('No kubeconfig context found; pass --kubeconfig, set $KUBECONFIG or create ~/.kube/config.', EXIT.cluster);
    }
    await service.call('clusters.connect', { cluster });
    return { service, cluster, close };
  } catch (err) {
    await close();
    throw cliErrorFrom(err);
  }
}
