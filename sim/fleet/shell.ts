// The command interpreter behind every SSH exec request: tokenises like bash, then dispatches to the
// few simulated programs. It never runs anything real; unknown programs get bash's "command not found".
import { mktemp, mv, rm } from './commands/file-ops.ts';
import { cat, grep, tee } from './commands/files.ts';
import type { Invocation, ProcessIO, ShellHost, SimCommand } from './commands/process.ts';
import { systemctl } from './commands/systemctl.ts';
import { flatcarSetGoodRoot } from './commands/setgoodroot.ts';
import { flatcarUpdate } from './commands/flatcar-update.ts';
import { updateEngineClient } from './commands/update-engine-client.ts';
import { cgpt, mount, rootdev, umount } from './commands/usr-partitions.ts';
import { splitShellWords } from './shell-words.ts';

const PROGRAMS: Record<string, SimCommand> = {
  cat,
  grep,
  tee,
  mv,
  rm,
  mktemp,
  systemctl,
  update_engine_client: updateEngineClient,
  'flatcar-setgoodroot': flatcarSetGoodRoot,
  'flatcar-update': flatcarUpdate,
  rootdev,
  cgpt,
  mount,
  umount,
  true: () => 0,
  sudo,
  sh,
};

const PROGRAM_DIRS = ['/usr/bin/', '/bin/', '/usr/sbin/', '/sbin/'];
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

function resolveProgram(name: string, host: ShellHost): SimCommand | 'no-such-file' | undefined {
  const installed = (base: string) => Object.hasOwn(PROGRAMS, base) && (host.hasProgram?.(base) ?? true);
  if (!name.includes('/')) return installed(name) ? PROGRAMS[name] : undefined;
  const dir = PROGRAM_DIRS.find((d) => name.startsWith(d));
  const base = dir ? name.slice(dir.length) : '';
  return base && installed(base) ? PROGRAMS[base] : 'no-such-file';
}

async function sudo(inv: Invocation): Promise<number> {
  const args = inv.argv.slice(1);
  let nonInteractive = false;
  while (args[0]?.startsWith('-')) {
    const opt = args.shift() as string;
    if (opt === '--') break;
    if (opt === '-n' || opt === '--non-interactive') {
      nonInteractive = true;
      continue;
    }
    inv.io.stderr(`sudo: invalid option -- '${opt.replace(/^-+/, '')}'\nusage: sudo -h | -K | -k | -V\n`);
    return 1;
  }
  if (args.length === 0) {
    inv.io.stderr('usage: sudo -h | -K | -k | -V\n');
    return 1;
  }
  if (inv.host.sudoRequiresPassword()) {
    if (!nonInteractive) {
      inv.io.stderr('sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\n');
    }
    inv.io.stderr('sudo: a password is required\n');
    return 1;
  }
  const name = args[0] as string;
  const program = resolveProgram(name, inv.host);
  if (program === undefined || program === 'no-such-file') {
    inv.io.stderr(`sudo: ${name}: command not found\n`);
    return 1;
  }
  return program({ ...inv, argv: args, root: true });
}

// `sh -c SCRIPT` (flatdeck's operator health check): the script is one simple command, read like any
// other command line. Flatcar's sh is bash, which names itself sh in its messages.
function sh(inv: Invocation): Promise<number> | number {
  const [flag, script] = inv.argv.slice(1);
  if (flag !== '-c' || script === undefined) {
    inv.io.stderr(flag === '-c' ? 'sh: -c: option requires an argument\n' : `sh: ${flag ?? ''}: No such file or directory\n`);
    return flag === '-c' ? 2 : 127;
  }
  return runCommandLine(script, inv.host, inv.io, 'sh', inv.root);
}

/** Runs one exec command line (as user core unless `root`); resolves with the exit status. */
export async function runCommandLine(line: string, host: ShellHost, io: ProcessIO, shellName = 'bash', root = false): Promise<number> {
  const split = splitShellWords(line);
  if (!split.ok) {
    io.stderr(`${shellName}: -c: line 1: unexpected EOF while looking for matching \`${split.unterminated}'\n`);
    return 2;
  }
  const words = split.words;
  while (words[0] !== undefined && ASSIGNMENT.test(words[0])) words.shift();
  const name = words[0];
  if (name === undefined) return 0;
  const program = resolveProgram(name, host);
  if (program === 'no-such-file') {
    io.stderr(`${shellName}: line 1: ${name}: No such file or directory\n`);
    return 127;
  }
  if (!program) {
    io.stderr(`${shellName}: line 1: ${name}: command not found\n`);
    return 127;
  }
  return program({ argv: words, host, io, root });
}
