import type { CliCommand } from '../command.ts';
import { commands as autoUpdate } from './auto-update.ts';
import { commands as nodes } from './nodes.ts';
import { commands as pipeline } from './pipeline.ts';
import { commands as serve } from './serve.ts';

// A static list (not a directory scan) so the bundler sees every command; a new command file is added here.
const all: readonly (readonly CliCommand[])[] = [nodes as CliCommand[], pipeline as CliCommand[], autoUpdate as CliCommand[], serve as CliCommand[]];

/** Every built-in command by name; a name defined twice is a programming error caught at start-up. */
export function builtinCommands(): Map<string, CliCommand> {
  const found = new Map<string, CliCommand>();
  for (const command of all.flat()) {
    if (found.has(command.name)) throw new Error(`CLI command "${command.name}" is defined twice`);
    found.set(command.name, command);
  }
  return found;
}
