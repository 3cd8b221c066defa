// `npm run sim -- --nodes N --state-dir DIR [...]`: starts the simulated cluster, prints one JSON line with
// the output paths and the nodes, runs until SIGINT/SIGTERM and then shuts everything down.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { MAX_SIM_NODES, startSimCluster, type SimClusterOptions } from './cluster.ts';
import { FLEET_PROFILES } from './fleet/composition.ts';
import { parseFaultFlag } from './faults.ts';

const USAGE = `usage: npm run sim -- --nodes N --state-dir DIR [--profile stock|kubermatic|mixed] [--zones Z] [--seed S] [--time-scale X] [--ssh-port P]
       [--address-base 127.10.0.1] [--api builtin|external|none] [--kubeconfig FILE] [--control-port P]
       [--fault KIND[:NODE][,key=value...]]... [--no-workload] [--no-scheduled-checks] [--fluo]`;

const number = (schema: z.ZodNumber) => z.string().transform(Number).pipe(schema);

const ArgsSchema = z
  .object({
    nodes: number(z.number().int().min(1).max(MAX_SIM_NODES)),
    zones: number(z.number().int().min(1).max(26)).optional(),
    'state-dir': z.string().min(1),
    profile: z.enum(FLEET_PROFILES).default('mixed'),
    seed: number(z.number().int()).optional(),
    'time-scale': number(z.number().positive().max(100)).optional(),
    'ssh-port': number(z.number().int().min(0).max(65535)).optional(),
    'address-base': z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/).optional(),
    api: z.enum(['builtin', 'external', 'none']).default('builtin'),
    kubeconfig: z.string().min(1).optional(),
    'control-port': number(z.number().int().min(0).max(65535)).optional(),
    fault: z.array(z.string()).default([]),
    'no-workload': z.boolean().default(false),
    'no-scheduled-checks': z.boolean().default(false),
    fluo: z.boolean().default(false),
  })
  .refine((a) => a.api !== 'external' || a.kubeconfig, { message: '--api external needs --kubeconfig' });

function parseCli(argv: string[]): SimClusterOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      zones: { type: 'string' },
      'state-dir': { type: 'string' },
      profile: { type: 'string' },
      seed: { type: 'string' },
      'time-scale': { type: 'string' },
      'ssh-port': { type: 'string' },
      'address-base': { type: 'string' },
      api: { type: 'string' },
      kubeconfig: { type: 'string' },
      'control-port': { type: 'string' },
      fault: { type: 'string', multiple: true },
      'no-workload': { type: 'boolean' },
      'no-scheduled-checks': { type: 'boolean' },
      fluo: { type: 'boolean' },
    },
    strict: true,
  });
  const a = ArgsSchema.parse(values);
  return {
    nodes: a.nodes,
    zones: a.zones,
    stateDir: a['state-dir'],
    profile: a.profile,
    seed: a.seed,
    timeScale: a['time-scale'],
    sshPort: a['ssh-port'],
    addressBase: a['address-base'],
    api: a.api === 'external' ? { kind: 'external', kubeconfig: a.kubeconfig as string } : { kind: a.api },
    controlPort: a['control-port'],
    faults: a.fault.map(parseFaultFlag),
    workload: !a['no-workload'],
    scheduledUpdateChecks: !a['no-scheduled-checks'],
    fluo: a.fluo ? 'installed' : 'off',
    log: (message) => process.stderr.write(`${message}\n`),
  };
}

async function main(): Promise<void> {
  let options: SimClusterOptions;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    const detail = err instanceof z.ZodError ? z.prettifyError(err) : (err as Error).message;
    process.stderr.write(`${detail}\n${USAGE}\n`);
    process.exit(2);
  }
  const cluster = await startSimCluster(options);
  process.stdout.write(
    `${JSON.stringify({
      kubeconfig: cluster.kubeconfigPath,
      sshConfig: cluster.sshConfigPath,
      knownHosts: cluster.knownHostsPath,
      identity: cluster.identityPath,
      events: cluster.eventsPath,
      control: cluster.controlUrl,
      apiServer: cluster.apiServerUrl,
      nodes: cluster.nodes,
    })}\n`,
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`sim: ${signal}, stopping\n`);
    cluster.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`sim: stop failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sim: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
