// One simulated Flatcar machine: its booted OS, systemd units, the update_engine daemon, power state and
// sshd. Reboots close SSH, refuse connections while down and come back with a new boot_id and, if an
// update was applied, the new /etc/os-release.
import { randomUUID } from 'node:crypto';
import type { FaultRegistry, FaultSpec, NodeFault } from '../faults.ts';
import type { AuthorizedKeys } from './authorized-keys.ts';
import type { Clock } from './clock.ts';
import type { FileLookup, ShellHost } from './commands/process.ts';
import type { EventSink, SimEvent } from './events.ts';
import type { SimNodeView } from './node-view.ts';
import { prettyNameOf, renderDefaultUpdateConf, renderOsRelease, renderReleaseFile } from './os-release.ts';
import type { ReleaseServer } from './release-server.ts';
import { runCommandLine } from './shell.ts';
import { NodeSshServer } from './ssh-server.ts';
import { Units } from './units.ts';
import { UpdateEngine, type UpdateEngineStatus } from './update-engine.ts';
import { channelOf, kernelVersionOf } from './versions.ts';

export const UPDATE_ENGINE_UNIT = 'update-engine.service';
export const LOCKSMITHD_UNIT = 'locksmithd.service';
/** What an operator's health check typically asks about on a Kubernetes worker. */
const NODE_SERVICES = ['containerd.service', 'kubelet.service'];
const BOOT_UNITS = [UPDATE_ENGINE_UNIT, LOCKSMITHD_UNIT, ...NODE_SERVICES];

/** Durations at timeScale 1, in milliseconds. */
export const REBOOT_TIMINGS = { shutdown: 1500, down: 40_000 } as const;
/** update_engine runs flatcar-setgoodroot 45 s after it starts (main.cc), marking the booted USR slot good. */
export const SET_GOOD_ROOT_DELAY = 45_000;
// Real ms the machine keeps running after `systemctl reboot` at any timeScale, so the exit status of the
// reboot command still reaches the client before sshd dies.
const MIN_SHUTDOWN_REAL_MS = 100;

export interface NodeSpec {
  name: string;
  address: string;
  sshPort: number;
  machineId: string;
  version: string;
  /** update-engine and locksmithd masked, as Kubermatic's disableAutoUpdate provisions them */
  updatesMasked: boolean;
  /** content of /etc/flatcar/update.conf, or null when the file does not exist */
  updateConf: string | null;
  /** download bandwidth, bytes per simulated second */
  bytesPerSecond: number;
}

export interface NodeDeps {
  clock: Clock;
  timeScale: number;
  random: () => number;
  faults: FaultRegistry;
  releases: ReleaseServer;
  events: EventSink;
  authorizedKeys: AuthorizedKeys;
  hostKey: { original: string; replacement: () => string };
  scheduledUpdateChecks: boolean;
}

type Power = 'up' | 'shutting-down' | 'down';

const DIRECTORIES = new Set(['/', '/etc', '/etc/flatcar', '/usr', '/usr/lib', '/usr/share', '/usr/share/flatcar', '/proc', '/home', '/home/core', '/var', '/run']);

function confValue(conf: string | null, key: string): string | undefined {
  const m = conf ? new RegExp(`^${key}=(.*)$`, 'm').exec(conf) : null;
  return m?.[1]?.trim().replace(/^"(.*)"$/, '$1');
}

export class SimNode implements SimNodeView, ShellHost {
  readonly name: string;
  readonly address: string;
  readonly machineId: string;
  readonly units: Units;
  readonly clock: Clock;
  readonly timeScale: number;

  private version: string;
  private nextBootVersion: string | null = null;
  /** the other USR slot's version while the booted one is not yet marked successful */
  private fallbackVersion: string | null = null;
  private needRebootMarker: { version: string; size: number } | null = null;
  private currentBootId = randomUUID();
  private power: Power = 'down';
  private daemon: UpdateEngine | null = null;
  private pid = 1000;
  private lastProgressStep = 0;
  private readonly ssh: NodeSshServer;
  private readonly powerListeners = new Set<(up: boolean) => void>();
  private readonly timers = new Set<number>();
  private readonly unsubscribeFaults: () => void;
  private stopped = false;
  private booted = false;
  private heldDown = false;

  constructor(
    private readonly spec: NodeSpec,
    private readonly deps: NodeDeps,
  ) {
    this.name = spec.name;
    this.address = spec.address;
    this.machineId = spec.machineId;
    this.version = spec.version;
    this.clock = deps.clock;
    this.timeScale = deps.timeScale;
    const masked = spec.updatesMasked;
    this.units = new Units({
      [UPDATE_ENGINE_UNIT]: { masked, enabled: true, active: false },
      [LOCKSMITHD_UNIT]: { masked: true, enabled: true, active: false },
      ...Object.fromEntries(NODE_SERVICES.map((unit) => [unit, { masked: false, enabled: true, active: false }])),
    });
    this.units.onChange((change) => {
      this.emit({ kind: change.property === 'file' ? 'unit-file' : 'unit-active', unit: change.unit, from: change.from, to: change.to });
      if (change.unit === UPDATE_ENGINE_UNIT && change.property === 'active') this.setDaemonRunning(change.to === 'active');
    });
    this.ssh = new NodeSshServer({
      address: spec.address,
      port: spec.sshPort,
      authorizedKeys: deps.authorizedKeys,
      behaviour: {
        delayMs: () => this.fault('ssh-slow')?.delayMs ?? 0,
        rejectAuth: () => this.fault('ssh-auth-rejected') !== undefined,
        dropNewConnections: () => this.fault('ssh-drop') !== undefined,
      },
      runCommand: (line, io) => runCommandLine(line, this, io),
      motd: () => `Flatcar Container Linux by Kinvolk ${this.channel()} ${this.version}\n`,
      prompt: () => `core@${this.name} ~ $ `,
    });
    this.unsubscribeFaults = deps.faults.onChange((change) => this.onFaultChange('added' in change ? change.added.spec : change.removed.spec, 'added' in change));
  }

  get sshPort(): number {
    return this.ssh.port;
  }

  // ---- SimNodeView ----
  bootId(): string {
    return this.currentBootId;
  }

  isUp(): boolean {
    return this.power === 'up';
  }

  osRelease(): { versionId: string; prettyName: string; channel: string } {
    return { versionId: this.version, prettyName: prettyNameOf(this.version), channel: this.channel() };
  }

  kernelVersion(): string {
    return kernelVersionOf(this.version);
  }

  onPowerChange(cb: (up: boolean) => void): () => void {
    this.powerListeners.add(cb);
    return () => this.powerListeners.delete(cb);
  }

  // ---- ShellHost ----
  readFile(path: string): FileLookup {
    const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
    if (DIRECTORIES.has(normalized)) return { kind: 'directory' };
    const content = this.fileContent(normalized);
    return content === null ? null : { kind: 'file', content };
  }

  writeFile(path: string, content: string): 'written' | 'read-only' {
    if (path !== '/etc/flatcar/update.conf') return 'read-only';
    this.spec.updateConf = content;
    return 'written';
  }

  updateEngine(): UpdateEngine | null {
    return this.daemon;
  }

  sudoRequiresPassword(): boolean {
    return this.fault('sudo-password') !== undefined;
  }

  requestReboot(): void {
    if (this.power !== 'up' || this.stopped) return;
    this.power = 'shutting-down';
    this.emit({ kind: 'reboot-start', from: 'up', to: 'shutting-down', bootId: this.currentBootId, version: this.version });
    this.after(Math.max(REBOOT_TIMINGS.shutdown, MIN_SHUTDOWN_REAL_MS / this.timeScale), () => this.background(this.powerOff()));
  }

  nextPid(): number {
    this.pid += 1 + Math.floor(this.deps.random() * 40);
    return this.pid;
  }

  // ---- lifecycle ----
  /** Boots the machine and starts sshd; resolves with the SSH port. */
  async start(): Promise<number> {
    await this.boot();
    return this.ssh.port;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribeFaults();
    for (const id of this.timers) this.clock.clearTimeout(id);
    this.timers.clear();
    this.daemon?.shutdown();
    this.daemon = null;
    await this.ssh.close();
  }

  /** The channel the update server is asked for: GROUP from /etc/flatcar/update.conf, else the image default. */
  channel(): string {
    return confValue(this.spec.updateConf, 'GROUP') ?? channelOf(this.version);
  }

  snapshot() {
    return {
      name: this.name,
      address: this.address,
      port: this.sshPort,
      power: this.power,
      bootId: this.currentBootId,
      version: this.version,
      nextBootVersion: this.nextBootVersion,
      fallbackVersion: this.fallbackVersion,
      channel: this.channel(),
      units: this.units.snapshot(),
      updateEngine: this.daemon?.status() ?? null,
      runningCommands: this.ssh.runningCommands,
    };
  }

  private fileContent(path: string): string | null {
    switch (path) {
      case '/etc/os-release':
      case '/usr/lib/os-release':
      case '/usr/lib64/os-release':
      case '/usr/share/flatcar/os-release':
        return renderOsRelease(this.version);
      case '/proc/sys/kernel/random/boot_id':
        return `${this.currentBootId}\n`;
      case '/etc/flatcar/update.conf':
      case '/etc/coreos/update.conf':
        return this.spec.updateConf;
      case '/usr/share/flatcar/update.conf':
        return renderDefaultUpdateConf(channelOf(this.version));
      case '/usr/share/flatcar/release':
        return renderReleaseFile(this.version);
      case '/etc/machine-id':
        return `${this.machineId}\n`;
      case '/etc/hostname':
        return `${this.name}\n`;
      default:
        return null;
    }
  }

  private fault<K extends NodeFault['kind']>(kind: K) {
    return this.deps.faults.forNode(kind, this);
  }

  private emit(event: Omit<SimEvent, 'ts' | 'node'>): void {
    if (this.booted) this.deps.events.record({ node: this.name, ...event });
  }

  private after(simulatedMs: number, fn: () => void): void {
    const id = this.clock.setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, simulatedMs * this.timeScale);
    this.timers.add(id);
  }

  private setDaemonRunning(running: boolean): void {
    if (!running) {
      this.daemon?.shutdown();
      this.daemon = null;
      return;
    }
    if (this.daemon) return;
    const daemon = new UpdateEngine(
      {
        clock: this.clock,
        timeScale: this.timeScale,
        random: this.deps.random,
        bytesPerSecond: this.spec.bytesPerSecond,
        scheduledChecks: this.deps.scheduledUpdateChecks,
        omahaCheck: () => {
          const offer = this.deps.releases.offer(this.channel(), this.version);
          return offer ? { kind: 'update', ...offer } : { kind: 'no-update' };
        },
        faults: () => ({
          failAt: this.fault('update-error')?.phase ?? null,
          downloadStalled: this.fault('download-stall') !== undefined,
        }),
      },
      this.needRebootMarker,
    );
    daemon.subscribe((status, previous) => this.onUpdateStatus(status, previous));
    this.daemon = daemon;
    this.after(SET_GOOD_ROOT_DELAY, () => {
      if (this.daemon !== daemon || !this.fallbackVersion) return;
      this.fallbackVersion = null;
      this.emit({ kind: 'boot-marked-good', from: 'unverified', to: 'successful', version: this.version });
    });
  }

  private onUpdateStatus(status: UpdateEngineStatus, previous: UpdateEngineStatus): void {
    const op = status.currentOperation;
    if (op !== previous.currentOperation) {
      this.emit({ kind: 'update-engine', from: previous.currentOperation, to: op, newVersion: status.newVersion });
      this.lastProgressStep = 0;
    }
    if (op === 'UPDATE_STATUS_DOWNLOADING') {
      const step = Math.floor(status.progress * 10);
      if (step > this.lastProgressStep) {
        this.emit({ kind: 'download-progress', from: this.lastProgressStep / 10, to: step / 10, newVersion: status.newVersion });
        this.lastProgressStep = step;
      }
    }
    if (op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT' && previous.currentOperation !== op) {
      // postinst has switched the partition priority; the marker in /var/run lasts until reboot or reset.
      this.needRebootMarker = { version: status.newVersion, size: status.newSize };
      this.nextBootVersion = status.newVersion;
      if (this.units.get(LOCKSMITHD_UNIT).active && confValue(this.spec.updateConf, 'REBOOT_STRATEGY') !== 'off') this.requestReboot();
    }
    if (previous.currentOperation === 'UPDATE_STATUS_UPDATED_NEED_REBOOT' && op === 'UPDATE_STATUS_IDLE') this.needRebootMarker = null;
  }

  private async powerOff(): Promise<void> {
    this.daemon?.shutdown();
    this.daemon = null;
    for (const unit of BOOT_UNITS) this.units.setActive(unit, false);
    await this.ssh.close();
    if (this.stopped) return;
    this.power = 'down';
    this.emit({ kind: 'down', from: 'shutting-down', to: 'down', bootId: this.currentBootId });
    for (const cb of [...this.powerListeners]) cb(false);
    this.after(REBOOT_TIMINGS.down, () => this.background(this.bootUnlessHeld()));
  }

  private async bootUnlessHeld(): Promise<void> {
    this.heldDown = this.fault('never-returns') !== undefined;
    if (!this.heldDown) await this.boot();
  }

  private async boot(): Promise<void> {
    if (this.stopped || this.power !== 'down') return;
    const firstBoot = !this.booted;
    const previousVersion = this.version;
    const previousBootId = this.currentBootId;
    this.chooseBootSlot();
    this.needRebootMarker = null;
    if (!firstBoot) this.currentBootId = randomUUID();
    await this.ssh.listen(this.currentHostKey());
    if (this.stopped) return this.ssh.close();
    this.power = 'up';
    for (const unit of BOOT_UNITS) if (this.units.bootActive(unit)) this.units.setActive(unit, true);
    this.booted = true;
    if (firstBoot) return;
    this.emit({ kind: 'up', from: 'down', to: 'up', bootId: this.currentBootId, previousBootId, version: this.version });
    if (previousVersion !== this.version) this.emit({ kind: 'os-version', from: previousVersion, to: this.version });
    for (const cb of [...this.powerListeners]) cb(true);
  }

  // GRUB's choice between USR-A and USR-B (manual-rollbacks.md): a freshly installed slot boots once; if
  // update_engine did not mark it successful during that boot, the next boot falls back to the other slot.
  private chooseBootSlot(): void {
    if (this.nextBootVersion && this.nextBootVersion !== this.version) {
      if (this.fault('rollback')) {
        this.emit({ kind: 'rollback', from: this.nextBootVersion, to: this.version });
      } else {
        this.fallbackVersion = this.version;
        this.version = this.nextBootVersion;
      }
    } else if (this.fallbackVersion) {
      this.emit({ kind: 'rollback', from: this.version, to: this.fallbackVersion, reason: 'slot never marked successful' });
      this.version = this.fallbackVersion;
      this.fallbackVersion = null;
    }
    this.nextBootVersion = null;
  }

  private currentHostKey(): string {
    return this.fault('host-key-changed') ? this.deps.hostKey.replacement() : this.deps.hostKey.original;
  }

  private onFaultChange(spec: FaultSpec, added: boolean): void {
    if ('node' in spec && spec.node !== undefined && spec.node !== this.name && spec.node !== this.address) return;
    if (spec.kind === 'ssh-drop' && added) this.ssh.dropConnections();
    if (spec.kind === 'host-key-changed' && this.power === 'up') this.background(this.restartSshd());
    if (spec.kind === 'never-returns' && !added && this.heldDown) {
      this.heldDown = false;
      this.background(this.boot());
    }
  }

  // Power and sshd transitions run detached from the request that caused them; a failure (e.g. the address
  // taken by another process) leaves the node unreachable and is recorded instead of crashing the simulator.
  private background(task: Promise<void>): void {
    task.catch((err: unknown) => this.emit({ kind: 'sshd', from: null, to: 'failed', error: (err as Error).message }));
  }

  private async restartSshd(): Promise<void> {
    await this.ssh.close();
    if (this.power === 'up' && !this.stopped) await this.ssh.listen(this.currentHostKey());
  }
}
