import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError, EXIT, exitCodeHelp, type CliIo, type CommandEntry } from './command.ts';
import { builtinCommands } from './commands/index.ts';

// package.json is two folders up from main/cli/ and from the bundle in dist/cli/ (also inside app.asar).
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

/** `flatdeck --version`: the version of the package this CLI belongs to. */
export function version(): string {
  const { version: v } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: unknown };
  if (typeof v !== 'string') throw new Error(`${PACKAGE_JSON.pathname} has no version`);
  return v;
}

export function overview(commands: ReadonlyMap<string, CommandEntry>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = [...commands].map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: flatdeck <command> [options]

Keeps the Flatcar Container Linux nodes of Kubernetes clusters up to date, safely.

commands:
${lines.join('\n')}

Run "flatdeck <command> --help" for a command's options, "flatdeck --version" for the version.

${exitCodeHelp}
`;
}

/** Parses and runs one command line; returns the exit code. Never throws for operator errors. */
export async function runCli(argv: readonly string[], io: CliIo, commands?: ReadonlyMap<string, CommandEntry>): Promise<number> {
  const registry = commands ?? builtinCommands;
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    io.stdout.write(`flatdeck ${version()}\n`);
    return EXIT.ok;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic ? await registry.get(topic)?.load() : undefined;
    io.stdout.write(command ? `${command.help}\n` : overview(registry));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const entry = registry.get(name);
  if (!entry) {
    io.stderr.write(`flatdeck: unknown command "${name}". Commands: ${[...registry.keys()].join(', ')}. See flatdeck --help.\n`);
    return EXIT.usage;
  }
  const command = await entry.load();
  let parsed;
  try {
    const { values, positionals } = parseArgs({ args: [...rest], options: command.options, strict: true, allowPositionals: command.allowPositionals ?? false });
    if (values.help === true) {
      io.stdout.write(`${command.help}\n`);
      return EXIT.ok;
    }
    const checked = command.args.safeParse({ values, positionals });
    if (!checked.success) throw new CliError(checked.error.issues.map((i) => i.message).join('; '), EXIT.usage);
    parsed = checked.data;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`flatdeck ${name}: ${message}\nRun "flatdeck ${name} --help" for usage.\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(parsed, io);
  } catch (err) {
    if (io.signal.aborted) return EXIT.interrupted;
    const e = err instanceof CliError ? err : new CliError(err instanceof Error ? (err.stack ?? err.message) : String(err), EXIT.failed);
    io.stderr.write(`flatdeck ${name}: ${e.message}\n`);
    return e.exitCode;
  }
}
