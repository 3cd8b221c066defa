// What a simulated command sees: its arguments, its output streams, the machine it runs on.
import type { Clock } from '../clock.ts';
import type { EtcFlatcar } from '../etc-flatcar.ts';
import type { UpdateEngine } from '../update-engine.ts';
import type { Units } from '../units.ts';
import type { PartitionNumber, UsrSlots } from '../usr-slots.ts';
import type { Release } from '../release-server.ts';

export interface ProcessIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** everything the client sends on the channel up to its EOF (a command run from the interactive shell gets '') */
  stdin(): Promise<string>;
  /** aborted when the SSH channel closes (the process gets SIGHUP) */
  signal: AbortSignal;
}

export type FileLookup = { kind: 'file'; content: string } | { kind: 'directory' } | null;

export interface ShellHost {
  readonly clock: Clock;
  readonly timeScale: number;
  readonly units: Units;
  /** false for a program this machine's image lacks (an Ubuntu node has no update_engine_client); absent: all */
  hasProgram?(name: string): boolean;
  /** VERSION_ID of the booted release (some output formats differ between releases) */
  bootedVersion(): string;
  readFile(path: string): FileLookup;
  /** /etc/flatcar, the only writable directory (root only); without it every path is read-only */
  readonly etcFlatcar?: EtcFlatcar;
  /** the running update_engine daemon, or null when com.coreos.update1 has no owner on the bus */
  updateEngine(): UpdateEngine | null;
  sudoRequiresPassword(): boolean;
  requestReboot(): void;
  /** flatcar-setgoodroot: the booted USR slot marked successful and given the highest priority */
  setGoodRoot(): void;
  /** the GPT attributes of USR-A and USR-B (cgpt) and which one is mounted at /usr (rootdev) */
  readonly usrSlots: UsrSlots;
  /** mount point → USR partition mounted there read-only */
  readonly mounts: Map<string, PartitionNumber>;
  /** an operator's cgpt changed which release boots next (events.jsonl `boot-order`) */
  recordBootOrder(from: string | null, to: string | null): void;
  /** flatcar-update's temporary local update service: offers this release while set */
  serveLocalUpdate(release: Release | null): void;
  /** a release's payload on update.release.flatcar-linux.net; null: no such release */
  releasePayload(version: string): Release | null;
  nextPid(): number;
}

export interface Invocation {
  argv: readonly string[];
  host: ShellHost;
  io: ProcessIO;
  /** running as root (through sudo) */
  root: boolean;
}

export type SimCommand = (inv: Invocation) => Promise<number> | number;

/** Waits `simulatedMs` scaled by the host's timeScale; resolves false if the channel closed meanwhile. */
export function sleep(host: ShellHost, io: ProcessIO, simulatedMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (io.signal.aborted) return resolve(false);
    const onAbort = () => {
      host.clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = host.clock.setTimeout(() => {
      io.signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, simulatedMs * host.timeScale);
    io.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves when the channel closes. */
export function untilAborted(io: ProcessIO): Promise<void> {
  return new Promise((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
