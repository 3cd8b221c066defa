import type { ParseArgsConfig } from 'node:util';
import type { z } from 'zod';

/** Exit codes shared by every command (printed by `flatdeck --help`). */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed (a node update, a rollout step). */
  failed: 1,
  /** Bad command line: unknown command or flag, bad value. */
  usage: 2,
  /** The cluster could not be used: kubeconfig, unreachable, TLS, credentials, RBAC. */
  cluster: 3,
  /** Output is complete but some nodes could not be read over SSH. */
  partial: 4,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

export const exitCodeHelp = `exit codes:
  0    success
  1    the operation failed (the message names node, pod or PDB)
  2    usage error (unknown command or flag, bad value)
  3    the cluster could not be used (kubeconfig, unreachable, TLS, credentials, permissions)
  4    partial: some nodes could not be read over SSH (the rest is printed)
  130  interrupted`;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** A failure with the exit code it stands for and an operator-readable message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * One subcommand, defined in a file in main/cli/commands/ and listed, with its summary, in commands/index.ts.
 * `args` validates what node:util parseArgs produced (values + positionals).
 */
export interface CliCommand<A = unknown> {
  name: string;
  /** Full help text: usage line, options, examples. */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
  args: z.ZodType<A, { values: Record<string, unknown>; positionals: string[] }>;
  run(args: A, io: CliIo): Promise<number>;
}

/**
 * What the command list knows of a command without loading it: `flatdeck --help` reads only these, so it starts
 * without the commands' schemas (zod) and the core.
 */
export interface CommandEntry {
  summary: string;
  load(): Promise<CliCommand>;
}

/** Keeps the command's argument type while storing it in the untyped registry. */
export function defineCommand<A>(command: CliCommand<A>): CliCommand<A> {
  return command;
}
