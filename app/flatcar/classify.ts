import { toShellLine, type Command } from './command.ts';
import { flatcarError, tail, type FlatcarError, type FlatcarErrorFacts } from './errors.ts';

/** What a finished remote command produced (the shape of app/ssh's ExecResult). */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
}

/** A rule recognises one failure mode and explains it, or passes (undefined). */
type Rule = (out: CommandOutput, facts: FlatcarErrorFacts) => FlatcarError | undefined;

const SIGABRT_EXIT = 134; // 128 + 6, what a shell reports for an aborted child
const DBUS_REJECTED = /Rejected send message/;
const ONLY_ROOT_OR_CORE = 'only root and the core user may use update-engine';

// Order is policy: the most specific explanation first.
const RULES: readonly Rule[] = [
  (o, f) => /sudo: (?:a password is required|a terminal is required to read the password)/.test(o.stderr)
    ? flatcarError('sudo-password-required',
      'sudo asked for a password; the SSH user needs passwordless sudo (flatdeck runs sudo -n and never types passwords)', f)
    : undefined,
  (o, f) => o.exitCode === 127 || /(?:command not found|: not found)\s*$/m.test(o.stderr)
    ? flatcarError('command-not-found', 'The command does not exist on the node (is this a Flatcar node?)', f)
    : undefined,
  (o, f) => {
    const unit = /Unit (\S+?)\.? is masked/.exec(o.stderr)?.[1];
    return unit === undefined ? undefined
      : flatcarError('service-masked', `${unit} is masked; unmask it before starting it`, { ...f, unit });
  },
  (o, f) => o.stderr.includes('Giving up -- unable to get dbus proxy')
    ? flatcarError('dbus-unavailable',
      'update_engine_client could not reach update-engine over D-Bus (after ~30 s of retries): the service is stopped or masked', f)
    : undefined,
  (o, f) => o.exitCode === SIGABRT_EXIT || o.signal === 'ABRT' || /Check failed: rc == 1/.test(o.stderr)
    ? flatcarError('update-engine-aborted', DBUS_REJECTED.test(o.stderr)
      ? `update_engine_client aborted: D-Bus rejected the call; ${ONLY_ROOT_OR_CORE}`
      : 'update_engine_client aborted (Check failed); see stderr', f)
    : undefined,
  (o, f) => DBUS_REJECTED.test(o.stderr)
    ? flatcarError('dbus-rejected', `D-Bus rejected the call; ${ONLY_ROOT_OR_CORE}`, f)
    : undefined,
  (o, f) => {
    const path = /^(?:cat|grep): (.+): No such file or directory$/m.exec(o.stderr)?.[1];
    return path === undefined ? undefined : flatcarError('file-not-found', `${path} does not exist on the node`, f);
  },
];

/** Turns a finished command into an error value, or undefined when it succeeded (exit 0). */
export function classifyExecResult(cmd: Command, out: CommandOutput, node?: string): FlatcarError | undefined {
  if (out.exitCode === 0) return undefined;
  const facts: FlatcarErrorFacts = {
    command: toShellLine(cmd),
    exitCode: out.exitCode,
    signal: out.signal,
    stderrTail: tail(out.stderr),
    ...(node === undefined ? {} : { node }),
  };
  for (const rule of RULES) {
    const error = rule(out, facts);
    if (error) return error;
  }
  const how = out.exitCode === null ? `was killed by signal ${out.signal ?? 'unknown'}` : `exited with code ${out.exitCode}`;
  return flatcarError('command-failed', `${facts.command} ${how}`, facts);
}

export function commandTimedOut(cmd: Command, afterMs: number, opts: { node?: string; stderr?: string } = {}): FlatcarError {
  return flatcarError('timeout', `${toShellLine(cmd)} did not finish within ${Math.round(afterMs / 1000)} s`, {
    command: toShellLine(cmd),
    ...(opts.node === undefined ? {} : { node: opts.node }),
    ...(opts.stderr === undefined ? {} : { stderrTail: tail(opts.stderr) }),
  });
}
