import { randomUUID } from 'node:crypto';
import { ApiError } from '../api/errors.ts';
import type { CommandEvent } from '../api/pipeline.ts';
import { SshError, type SshErrorKind } from '../ssh/errors.ts';
import type { ExecResult, NodeShell } from '../ssh/types.ts';
import { parseBootId, readBootId } from './boot-id.ts';
import { classifyExecResult, commandTimedOut } from './classify.ts';
import { toShellLine, type Command } from './command.ts';
import { FlatcarParseError } from './errors.ts';
import { healthCheck } from './health-check.ts';
import { asSshError, fromFlatcar, fromSsh } from './node-errors.ts';
import { grepVersionId, parseOsRelease, readOsRelease } from './os-release.ts';
import { sudoCheck } from './sudo-check.ts';
import { parseIsActive, parseIsEnabled, systemctl, type FlatcarUnit, type UnitFileState } from './systemctl.ts';
import { readUpdateConf, writeUpdateConf, type UpdateConfLocation } from './update-conf.ts';
import { parseUpdateEngineStatus, setGoodRoot, updateEngineClient, type UpdateEngineStatus } from './update-engine.ts';
import { WatchStreamParser } from './update-engine-watch.ts';
import { flatcarUpdateTo } from './flatcar-update.ts';
import { parseRebootRequired, readRebootRequired, readRebootRequiredPkgs, type RebootRequired } from './ubuntu-reboot-required.ts';
import { cgptPrioritize, cgptShow, diskOf, mountReadOnly, nextBootOf, parseCgptShow, parseReleaseVersion, parseRootdev, readMountedRelease, rootdevUsr, unmountOther, type UsrPartitionsRead } from './usr-partitions.ts';

/** update_engine status as flatdeck uses it. */
export interface UeStatus {
  op: string;
  progress: number;
  newVersion: string;
  /** NEW_SIZE in bytes (0 while no update is known): with progress it gives the bytes downloaded. */
  newSize: number;
  lastCheckedTime: number;
}

export interface UnitState {
  /** systemctl is-enabled word: enabled, disabled, masked, static, … */
  file: UnitFileState;
  active: boolean;
}

export type UnitAction = 'unmask' | 'mask' | 'start' | 'stop' | 'mask-runtime' | 'unmask-runtime';

/**
 * One Flatcar node, the only way flatdeck talks to one: every command comes from this folder's builders, every
 * command and its output goes out as a CommandEvent (the node's terminal), every failure is an ApiError with the
 * node, the command line and the exit code.
 */
export interface FlatcarNode {
  readonly name: string;
  sudoCheck(): Promise<void>;
  versionId(): Promise<string>;
  /** The whole /etc/os-release text (its quoting matters to some readers, e.g. FLUO v0.9's agent). */
  osRelease(): Promise<string>;
  bootId(): Promise<string>;
  unitState(unit: FlatcarUnit): Promise<UnitState>;
  setUnit(unit: FlatcarUnit, action: UnitAction): Promise<void>;
  /** The text of one update.conf layer; null when the file does not exist. */
  updateConf(where: UpdateConfLocation): Promise<string | null>;
  /** Replaces /etc/flatcar/update.conf with `text`, atomically (a file next to it renamed over it). */
  writeUpdateConf(text: string): Promise<void>;
  status(): Promise<UeStatus>;
  checkForUpdate(): Promise<void>;
  /** Streams `-watch_for_updates` until aborted or the stream ends; never rejects on a stream that just ends. */
  watch(onStatus: (s: UeStatus) => void, signal: AbortSignal): Promise<void>;
  /** `sudo systemctl reboot`; the connection dropping under it is the expected outcome. */
  reboot(): Promise<void>;
  /** Keeps the booted version for the next boot (flatcar-setgoodroot) and returns update_engine to IDLE (-reset_status). */
  discardStagedUpdate(): Promise<void>;
  /** flatcar-setgoodroot alone: the booted USR partition marked successful and booting next (as update_engine does ~45 s after it starts). */
  markBootedGood(): Promise<void>;
  /** The booted and the other USR partition, the other one's release read from it (mounted read-only, then unmounted). */
  usrPartitions(): Promise<UsrPartitionsRead>;
  /** `cgpt prioritize DEVICE`: that USR partition boots next (Flatcar's manual rollback). */
  prioritizeUsr(device: string): Promise<void>;
  /** An Ubuntu node's /var/run/reboot-required and the packages in its .pkgs list (what kured reads). */
  rebootRequired(): Promise<RebootRequired>;
  /** `flatcar-update --to-version V`: stages exactly V (it also unmasks and starts update-engine); throws unless it exits 0. */
  installVersion(version: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Forget the pooled connection (the next command connects anew). */
  reconnect(): void;
  runHealthCheck(script: string, timeoutMs: number): Promise<{ exitCode: number | null; output: string }>;
}

export interface FlatcarNodeOptions {
  shell: NodeShell;
  cluster: string;
  /** The pipeline run the commands belong to; null for reads and auto-update. */
  runId: string | null;
  onCommand(event: CommandEvent): void;
  nowMs?: () => number;
}

/**
 * The one timeout policy. `-status` alone may take ~30 s when update-engine is down (the client retries D-Bus
 * before it gives up), so every command gets twice that. `systemctl reboot` returns at once or the connection
 * drops; the health check brings its own limit; `-watch_for_updates` runs until stopped.
 */
export const COMMAND_TIMEOUT_MS = 60_000;
const REBOOT_TIMEOUT_MS = 15_000;
/** Failures after which a read is tried once more on a fresh connection (the node may have dropped it). */
const RETRYABLE = new Set<SshErrorKind>(['disconnected', 'timeout']);

interface RunOptions {
  timeoutMs?: number;
  /** Read-only: tried once more on a fresh connection after a dropped one. */
  retry?: boolean;
  /** The exit code is the caller's to judge (systemctl is-enabled, cat of a file that may be missing). */
  acceptExit?: boolean;
  signal?: AbortSignal;
  stdin?: string;
  /** Stderr as it arrives (update_engine_client logs its status there), for commands that run until stopped. */
  streaming?: (stderr: string) => void;
}

const toUe = (s: UpdateEngineStatus): UeStatus => ({ op: s.currentOp, progress: s.progress, newVersion: s.newVersion, newSize: s.newSize, lastCheckedTime: s.lastCheckedTime });

const MISSING_FILE = /No such file or directory/;

export function flatcarNode(opts: FlatcarNodeOptions): FlatcarNode {
  const { shell, cluster, runId, onCommand } = opts;
  const node = shell.node;
  const now = () => new Date((opts.nowMs ?? Date.now)()).toISOString();
  const say = (commandId: string, line: string, stream: CommandEvent['stream'], data: string) =>
    onCommand({ runId, cluster, node, commandId, command: line, stream, data, at: now() });

  async function run(cmd: Command, o: RunOptions = {}): Promise<ExecResult> {
    const line = toShellLine(cmd);
    const timeoutMs = o.streaming ? undefined : (o.timeoutMs ?? COMMAND_TIMEOUT_MS);
    for (let attempt = 0; ; attempt++) {
      const id = randomUUID();
      say(id, line, 'command', line);
      try {
        const out = await shell.run(line, {
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(o.signal ? { signal: o.signal } : {}),
          ...(o.stdin === undefined ? {} : { stdin: o.stdin }),
          ...(o.streaming ? { longLived: true, on: { stdout: (s: string) => say(id, line, 'stdout', s), stderr: (s: string) => (say(id, line, 'stderr', s), o.streaming?.(s)) } } : {}),
        });
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
        if (!(err instanceof SshError)) throw caught;
        say(id, line, 'exit', `ssh: ${err.message}`);
        if (o.retry && attempt === 0 && RETRYABLE.has(err.kind)) {
          shell.reset();
          continue;
        }
        if (err.kind === 'timeout' && timeoutMs !== undefined) throw fromFlatcar(commandTimedOut(cmd, timeoutMs, { node }), node);
        throw fromSsh(err, node);
      }
    }
  }

  async function read<T>(cmd: Command, parse: (out: ExecResult) => T, acceptExit = false): Promise<T> {
    const out = await run(cmd, { retry: true, acceptExit });
    try {
      return parse(out);
    } catch (err) {
      if (err instanceof FlatcarParseError) throw new ApiError('command-failed', err.message, { node, command: toShellLine(cmd) });
      throw err;
    }
  }

  const versionId = () => read(grepVersionId(), (o) => parseOsRelease(o.stdout).versionId ?? '');

  /** The release on a USR partition that is not mounted at /usr; null when it holds no file system. */
  async function otherRelease(device: string): Promise<string | null> {
    const cmd = mountReadOnly(device);
    const mounted = await run(cmd, { acceptExit: true });
    if (mounted.exitCode !== 0) {
      if (/wrong fs type|bad superblock/.test(mounted.stderr)) return null;
      // a read that was cut off earlier left it mounted: read it there
      if (!/already mounted/.test(mounted.stderr)) {
        throw new ApiError('command-failed', `Could not mount ${device} read-only on ${node} to read its release (exit ${mounted.exitCode ?? 'none'}): ${mounted.stderr.trim().slice(-300)}`, { node, command: toShellLine(cmd) });
      }
    }
    try {
      return await read(readMountedRelease(), (o) => parseReleaseVersion(o.stdout));
    } finally {
      await run(unmountOther(), { acceptExit: true });
    }
  }

  return {
    name: node,
    sudoCheck: async () => void (await run(sudoCheck(), { retry: true })),
    versionId,
    osRelease: () => read(readOsRelease(), (o) => o.stdout),
    bootId: () => read(readBootId(), (o) => parseBootId(o.stdout)),
    async unitState(unit) {
      const enabled = await read(systemctl.isEnabled(unit), (o) => parseIsEnabled(o), true);
      const active = await read(systemctl.isActive(unit), (o) => parseIsActive(o), true);
      return { file: enabled.state, active: active.running };
    },
    setUnit: async (unit, action) => void (await run(systemctl[action](unit))),
    async updateConf(where) {
      const cmd = readUpdateConf(where);
      const out = await run(cmd, { retry: true, acceptExit: true });
      if (out.exitCode !== 0 && MISSING_FILE.test(out.stderr)) return null;
      const failure = classifyExecResult(cmd, out, node);
      if (failure) throw fromFlatcar(failure, node);
      return out.stdout;
    },
    async writeUpdateConf(text) {
      const [write, rename] = writeUpdateConf();
      await run(write, { stdin: text });
      await run(rename);
    },
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
    async discardStagedUpdate() {
      await run(setGoodRoot());
      await run(updateEngineClient.resetStatus());
    },
    markBootedGood: async () => void (await run(setGoodRoot())),
    async reboot() {
      try {
        await run(systemctl.reboot(), { timeoutMs: REBOOT_TIMEOUT_MS });
      } catch (err) {
        // the connection going away under `systemctl reboot` is the expected outcome
        if (!(err instanceof ApiError && ['ssh-disconnected', 'ssh-timeout', 'command-failed'].includes(err.kind))) throw err;
      } finally {
        shell.reset();
      }
    },
    async usrPartitions() {
      const bootedDevice = await read(rootdevUsr(), (o) => parseRootdev(o.stdout));
      const { disk, number } = diskOf(bootedDevice);
      const found = await read(cgptShow(disk), (o) => parseCgptShow(o.stdout));
      const bootedAttrs = found.find((p) => p.number === number);
      const otherAttrs = found.find((p) => p.number !== number);
      if (!bootedAttrs || !otherAttrs) {
        throw new ApiError('command-failed', `${bootedDevice}, mounted at /usr on ${node}, is not one of the USR partitions cgpt lists on ${disk}`, { node, command: toShellLine(cgptShow(disk)) });
      }
      const otherDevice = bootedDevice.replace(/\d+$/, String(otherAttrs.number));
      const booted = { device: bootedDevice, label: bootedAttrs.label, priority: bootedAttrs.priority, tries: bootedAttrs.tries, successful: bootedAttrs.successful, version: (await versionId()) || null };
      const other = { device: otherDevice, label: otherAttrs.label, priority: otherAttrs.priority, tries: otherAttrs.tries, successful: otherAttrs.successful, version: await otherRelease(otherDevice) };
      return { booted, other, nextBoot: nextBootOf(booted, other) };
    },
    prioritizeUsr: async (device) => void (await run(cgptPrioritize(device))),
    async rebootRequired() {
      const sentinel = await run(readRebootRequired(), { retry: true, acceptExit: true });
      return read(readRebootRequiredPkgs(), (pkgs) => parseRebootRequired(sentinel, pkgs), true);
    },
    installVersion: async (version, timeoutMs, signal) => void (await run(flatcarUpdateTo(version), { timeoutMs, ...(signal ? { signal } : {}) })),
    reconnect: () => shell.reset(),
    async runHealthCheck(script, timeoutMs) {
      let cmd: Command;
      try {
        cmd = healthCheck(script);
      } catch (err) {
        throw new ApiError('invalid-request', `The health check cannot run: ${(err as Error).message}.`, { node });
      }
      const out = await run(cmd, { timeoutMs, acceptExit: true });
      return { exitCode: out.exitCode, output: `${out.stdout}${out.stderr}` };
    },
  };
}
