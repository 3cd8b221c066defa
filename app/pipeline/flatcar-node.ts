import { randomUUID } from 'node:crypto';
import { ApiError, type ErrorKind } from '../api/errors.ts';
import { parseBootId, readBootId } from '../flatcar/boot-id.ts';
import { classifyExecResult, commandTimedOut } from '../flatcar/classify.ts';
import { command, toShellLine, type Command } from '../flatcar/command.ts';
import { FlatcarParseError, type FlatcarError } from '../flatcar/errors.ts';
import { grepVersionId, parseOsRelease } from '../flatcar/os-release.ts';
import { sudoCheck } from '../flatcar/sudo-check.ts';
import { parseIsActive, parseIsEnabled, systemctl } from '../flatcar/systemctl.ts';
import { parseUpdateEngineStatus, updateEngineClient, type UpdateEngineStatus } from '../flatcar/update-engine.ts';
import { WatchStreamParser } from '../flatcar/update-engine-watch.ts';
import { SshError, type SshErrorKind } from '../ssh/errors.ts';
import type { SshPool } from '../ssh/pool.ts';
import type { ExecResult, SshTarget } from '../ssh/types.ts';
import type { EventSink, FlatcarNode, UeStatus } from './ports.ts';

const SSH_KIND: Record<SshErrorKind, ErrorKind> = {
  unreachable: 'ssh-unreachable',
  timeout: 'ssh-timeout',
  'auth-rejected': 'ssh-auth-rejected',
  'host-key-unknown-rejected': 'host-key-unknown-rejected',
  'host-key-changed': 'host-key-changed',
  'host-key-revoked': 'host-key-changed',
  disconnected: 'ssh-disconnected',
  'passphrase-needed': 'passphrase-needed',
  'unsupported-config': 'ssh-unreachable',
};

const FLATCAR_KIND: Partial<Record<FlatcarError['kind'], ErrorKind>> = {
  'sudo-password-required': 'sudo-password-required',
  'service-masked': 'service-masked',
  'dbus-unavailable': 'update-engine-unavailable',
  timeout: 'ssh-timeout',
};

export function fromFlatcar(e: FlatcarError, node: string): ApiError {
  const f = e.facts;
  return new ApiError(FLATCAR_KIND[e.kind] ?? 'command-failed', e.message, {
    node,
    command: f.command ?? null,
    exitCode: f.exitCode ?? null,
    stderr: f.stderrTail ?? null,
  });
}

export function fromSsh(e: SshError, node: string): ApiError {
  const f = e.facts;
  return new ApiError(SSH_KIND[e.kind], e.message, {
    node,
    host: f.host ?? null,
    command: f.command ?? null,
    // Host-key facts, so the UI can show both fingerprints side by side.
    ...(f.port !== undefined ? { port: f.port } : {}),
    ...(f.presentedFingerprint ? { presentedFingerprint: f.presentedFingerprint } : {}),
    ...(f.knownFingerprints ? { knownFingerprints: f.knownFingerprints.join(', ') } : {}),
    ...(f.knownHostsFile ? { knownHostsFile: f.knownHostsFile } : {}),
  });
}

/** Socket errors that escape the pool while a node reboots are the same fact as an unreachable node. */
function asSshError(err: unknown, node: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof SshError || typeof code !== 'string' || !/^(ECONN|EHOST|ENETUNREACH|ETIMEDOUT|EPIPE)/.test(code)) return err;
  return new SshError(code === 'ETIMEDOUT' ? 'timeout' : code === 'ECONNRESET' || code === 'EPIPE' ? 'disconnected' : 'unreachable', `${node}: ${(err as Error).message}`, { node });
}

const toUe = (s: UpdateEngineStatus): UeStatus => ({ op: s.currentOp, progress: s.progress, newVersion: s.newVersion, newSize: s.newSize, lastCheckedTime: s.lastCheckedTime });

const COMMAND_TIMEOUT_MS = 60_000;
const RETRYABLE = new Set<SshErrorKind>(['disconnected', 'timeout']);

/**
 * The pipeline's view of one Flatcar node over the shared SSH pool. Every command and its output goes out
 * as CommandEvents (the terminal pane); failures become ApiErrors with the node, the command line and the
 * exit code. Read-only commands are retried once on a fresh connection after a dropped one.
 */
export function sshFlatcarNode(opts: { pool: SshPool; target: SshTarget; emit: EventSink; clusterId: string; runId: string | null; nowMs?: () => number }): FlatcarNode {
  const { pool, target, emit, clusterId, runId } = opts;
  const node = target.nodeName;
  const now = () => new Date((opts.nowMs ?? Date.now)()).toISOString();
  const say = (commandId: string, line: string, stream: 'command' | 'stdout' | 'stderr' | 'exit', data: string) =>
    emit({ topic: 'command', payload: { runId, cluster: clusterId, node, commandId, command: line, stream, data, at: now() } });

  async function run(cmd: Command, o: { timeoutMs?: number; retry?: boolean; acceptExit?: boolean; signal?: AbortSignal; streaming?: (s: string) => void } = {}): Promise<ExecResult> {
    const line = toShellLine(cmd);
    for (let attempt = 0; ; attempt++) {
      const id = randomUUID();
      say(id, line, 'command', line);
      try {
        const out = o.streaming
          ? await pool.stream(target, cmd, { stdout: (s) => say(id, line, 'stdout', s), stderr: (s) => (say(id, line, 'stderr', s), o.streaming?.(s)) }, o.signal ? { signal: o.signal } : {})
          : await pool.exec(target, cmd, { timeoutMs: o.timeoutMs ?? COMMAND_TIMEOUT_MS, ...(o.signal ? { signal: o.signal } : {}) });
        if (!o.streaming) {
          if (out.stdout) say(id, line, 'stdout', out.stdout);
          if (out.stderr) say(id, line, 'stderr', out.stderr);
        }
        say(id, line, 'exit', out.exitCode === null ? `signal ${out.signal ?? '?'}` : String(out.exitCode));
        const failure = o.acceptExit ? undefined : classifyExecResult(cmd, out, node);
        if (failure) throw fromFlatcar(failure, node);
        return out;
      } catch (caught) {
        const err = asSshError(caught, node);
        if (err instanceof SshError) {
          say(id, line, 'exit', `ssh: ${err.message}`);
          if (o.retry && attempt === 0 && RETRYABLE.has(err.kind)) {
            pool.drop(target);
            continue;
          }
          if (err.kind === 'timeout') throw fromFlatcar(commandTimedOut(cmd, o.timeoutMs ?? COMMAND_TIMEOUT_MS, { node }), node);
          throw fromSsh(err, node);
        }
        throw caught;
      }
    }
  }

  function parsed<T>(parse: () => T, cmd: Command): T {
    try {
      return parse();
    } catch (err) {
      if (err instanceof FlatcarParseError) throw new ApiError('command-failed', err.message, { node, command: toShellLine(cmd) });
      throw err;
    }
  }

  async function read<T>(cmd: Command, parse: (out: ExecResult) => T, acceptExit = false): Promise<T> {
    const out = await run(cmd, { retry: true, acceptExit });
    return parsed(() => parse(out), cmd);
  }

  return {
    sudoCheck: async () => void (await run(sudoCheck(), { retry: true })),
    versionId: () => read(grepVersionId(), (o) => parseOsRelease(o.stdout).versionId ?? ''),
    bootId: () => read(readBootId(), (o) => parseBootId(o.stdout)),
    async unitState(unit) {
      const enabled = await read(systemctl.isEnabled(unit), (o) => parseIsEnabled(o), true);
      const active = await read(systemctl.isActive(unit), (o) => parseIsActive(o), true);
      return { file: enabled.state, active: active.running };
    },
    setUnit: async (unit, action) => void (await run(systemctl[action](unit))),
    status: () => read(updateEngineClient.status(), (o) => toUe(parseUpdateEngineStatus(o.stdout))),
    checkForUpdate: async () => void (await run(updateEngineClient.checkForUpdate())),
    async watch(onStatus, signal) {
      const parser = new WatchStreamParser();
      const feed = (chunk: string) => {
        for (const e of parser.push(chunk)) if (e.type === 'status') onStatus(toUe(e.status));
      };
      try {
        await run(updateEngineClient.watchForUpdates(), { streaming: feed, signal, acceptExit: true });
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    },
    async reboot() {
      try {
        await run(systemctl.reboot(), { timeoutMs: 15_000 });
      } catch (err) {
        // the connection going away under `systemctl reboot` is the expected outcome
        if (!(err instanceof ApiError && ['ssh-disconnected', 'ssh-timeout', 'command-failed'].includes(err.kind))) throw err;
      } finally {
        pool.drop(target);
      }
    },
    reconnect: () => pool.drop(target),
    async runHealthCheck(script, timeoutMs) {
      const out = await run(command(['sh', '-c', script]), { timeoutMs, acceptExit: true });
      return { exitCode: out.exitCode, output: `${out.stdout}${out.stderr}` };
    },
  };
}
