import { createInterface } from 'node:readline/promises';
import { CliError, EXIT, type CliIo } from './command.ts';
import { cliErrorFrom, openCluster, type ClusterArgs, type OpenCluster } from './cluster-options.ts';

/** Opens the cluster, runs `body`, maps API errors to exit codes and always closes. */
export async function withCluster(args: ClusterArgs, io: CliIo, body: (open: OpenCluster) => Promise<number>): Promise<number> {
  const open = await openCluster(args, io).catch((err: unknown) => {
    throw cliErrorFrom(err);
  });
  try {
    return await body(open);
  } catch (err) {
    throw cliErrorFrom(err);
  } finally {
    await open.close();
  }
}

/** Asks on the terminal before a change; without one the command refuses and names --yes. */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  if (!io.stdin.isTTY) throw new CliError('Refusing to change the cluster without confirmation; pass --yes (stdin is not a terminal).', EXIT.usage);
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
