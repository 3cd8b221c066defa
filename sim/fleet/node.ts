// One simulated Flatcar machine: its booted OS, systemd units, the update_engine daemon, power state and
// sshd. Reboots close SSH, refuse connections while down and come back with a new boot_id and, if an
// update was applied, the new /etc/os-release.
import { randomUUID } from 'node:crypto';
import type { FaultRegistry, FaultSpec, NodeFault } from '../faults.ts';
import type { AuthorizedKeys } from './authorized-keys.ts';
import type { Clock } from './clock.ts';
import type { FileLookup, ShellHost } from './commands/process.ts';
import { confValue, parseEnvironmentFile, RELEASE_FILE, UPDATE_CONF, VENDOR_UPDATE_CONF } from './conf-files.ts';
import { EtcFlatcar } from './etc-flatcar.ts';
import type { EventSink, SimEvent } from './events.ts';
import { Locksmithd, LOCKSMITHD_TIMINGS } from './locksmithd.ts';
import type { SimNodeView } from './node-view.ts';
import { hasLib64OsRelease, prettyNameOf, renderDefaultUpdateConf, renderOsRelease, renderReleaseFile } from './os-release.ts';
import type { Release, ReleaseServer } from './release-server.ts';
import { runCommandLine } from './shell.ts';
import { NodeSshServer } from './ssh-server.ts';
import { Units, type InitialUnit } from './units.ts';
import { UpdateEngine, type StatusListener, type UpdateEngineStatus } from './update-engine.ts';
import { type PartitionNumber, UsrSlots } from './usr-slots.ts';
import { channelOf, kernelVersionOf } from './versions.ts';
import { FLATCAR_ONLY_PROGRAMS, PENDING_REBOOT_PACKAGES, REBOOT_REQUIRED_PATHS, REBOOT_REQUIRED_PKGS_PATHS, REBOOT_REQUIRED_TEXT, UBUNTU, UBUNTU_OS_RELEASE } from './ubuntu.ts';

export const UPDATE_ENGINE_UNIT = 'update-engine.service';
export const LOCKSMITHD_UNIT = 'locksmithd.service';
/** What an operator's health check typically asks about on a Kubernetes worker. */
const NODE_SERVICES = ['containerd.service', 'kubelet.service'];
const BOOT_UNITS = [UPDATE_ENGINE_UNIT, LOCKSMITHD_UNIT, ...NODE_SERVICES];

/** Durations at timeScale 1, in milliseconds. */
export const REBOOT_TIMINGS = { shutdown: 1500, down: 40_000 } as const;
/** update_engine's default Omaha endpoint (omaha_request_params.cc kProductionOmahaUrl). */
const PRODUCTION_OMAHA_URL = 'https://public.update.flatcar-linux.net/v1/update/';
/** flatcar-update's temporary update service (ncat on its first listen port). */
export const LOCAL_OMAHA_URL = 'http://localhost:9090/update';

/**
 * How update-engine and locksmithd are set up on a machine:
 * - `stock`: as the Flatcar image ships them, both enabled by vendor links under /usr and running;
 * - `kubermatic`: both masked, what Kubermatic's OSM leaves with `disableAutoUpdate: true`;
 * - `kubermatic-auto-update`: OSM with `disableAutoUpdate: false` masks only locksmithd (KKP always sets
 *   disableLocksmithD); update-engine keeps its vendor link and runs;
 * - `fluo-ready`: update-engine enabled in /etc and running, locksmithd masked (what FLUO's docs ask for).
 */
export type NodeUnitProfile = 'stock' | 'kubermatic' | 'kubermatic-auto-update' | 'fluo-ready';

const UNIT_PROFILES: Record<NodeUnitProfile, { updateEngine: InitialUnit; locksmithd: InitialUnit }> = {
  stock: {
    updateEngine: { masked: false, enabled: false, vendorEnabled: true, active: false },
    locksmithd: { masked: false, enabled: false, vendorEnabled: true, active: false },
  },
  kubermatic: {
    updateEngine: { masked: true, enabled: false, vendorEnabled: true, active: false },
    locksmithd: { masked: true, enabled: false, vendorEnabled: true, active: false },
  },
  'kubermatic-auto-update': {
    updateEngine: { masked: false, enabled: false, vendorEnabled: true, active: false },
    locksmithd: { masked: true, enabled: false, vendorEnabled: true, active: false },
  },
  'fluo-ready': {
    updateEngine: { masked: false, enabled: true, vendorEnabled: true, active: false },
    locksmithd: { masked: true, enabled: false, vendorEnabled: true, active: false },
  },
};
// Real ms the machine keeps running after `systemctl reboot` at any timeScale, so the exit status of the
// reboot command still reaches the client before sshd dies.
const MIN_SHUTDOWN_REAL_MS = 100;

export interface NodeSpec {
  name: string;
  address: string;
  sshPort: number;
  machineId: string;
  version: string;
  units: NodeUnitProfile;
  /** content of /etc/flatcar/update.conf ('' when Ignition wrote nothing: tmpfiles.d creates it empty) */
  updateConf: string;
  /** download bandwidth, bytes per simulated second */
  bytesPerSecond: number;
  /** the release on the other USR partition (the one this machine was updated from); null: never updated */
  previousVersion: string | null;
  /** the zone of a fleet composed with zones (--zones N) */
  zone?: string;
  /** an Ubuntu 22.04 worker not migrated yet (sim/fleet/ubuntu.ts), with a kernel update waiting for a reboot */
  distribution?: 'flatcar' | 'ubuntu';
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

const DIRECTORIES = new Set(['/', '/etc', '/etc/flatcar', '/usr', '/usr/lib', '/usr/lib64', '/usr/share', '/usr/share/flatcar', '/proc', '/home', '/home/core', '/var', '/run']);

export class SimNode implements SimNodeView, ShellHost {
  readonly name: string;
  readonly address: string;
  readonly machineId: string;
  /** the failure domain the kubelet labels the Node with (topology.kubernetes.io/zone); null: none */
  readonly zone: string | null;
  readonly units: Units;
  readonly clock: Clock;
  readonly timeScale: number;
  readonly etcFlatcar: EtcFlatcar;
  readonly distribution: 'flatcar' | 'ubuntu';

  readonly usrSlots: UsrSlots;
  /** mount points of `mount -o ro` (of the other USR partition); gone at the next boot */
  readonly mounts = new Map<string, PartitionNumber>();
  /** what flatcar-update's local update service offers while the script runs */
  private localUpdate: Release | null = null;
  /** /var/run/update_engine_autoupdate_completed (tmpfs: gone after a reboot) */
  private updateCompleted = false;
  /** /run/reboot-required, kured's sentinel, touched by flatcar-postinst (tmpfs) */
  private rebootRequired = false;
  /** an Ubuntu machine's reboot-required.pkgs (empty: no /var/run/reboot-required); tmpfs, gone after a reboot */
  private ubuntuRebootPackages: readonly string[] = [];
  private ubuntuKernel: string = UBUNTU.kernel;
  private currentBootId = randomUUID();
  private power: Power = 'down';
  private daemon: UpdateEngine | null = null;
  private locksmithd: Locksmithd | null = null;
  private readonly statusSignal = new Set<StatusListener>();
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
    this.zone = spec.zone ?? null;
    this.distribution = spec.distribution ?? 'flatcar';
    if (this.distribution === 'ubuntu') this.ubuntuRebootPackages = PENDING_REBOOT_PACKAGES;
    this.usrSlots = new UsrSlots(spec.version, spec.previousVersion);
    this.clock = deps.clock;
    this.timeScale = deps.timeScale;
    this.etcFlatcar = new EtcFlatcar(spec.updateConf);
    const profile = UNIT_PROFILES[spec.units];
    this.units = new Units({
      ...(this.distribution === 'ubuntu' ? {} : { [UPDATE_ENGINE_UNIT]: profile.updateEngine, [LOCKSMITHD_UNIT]: profile.locksmithd }),
      ...Object.fromEntries(NODE_SERVICES.map((unit) => [unit, { masked: false, enabled: true, active: false }])),
    });
    this.units.onChange((change) => {
      this.emit({ kind: change.property === 'file' ? 'unit-file' : 'unit-active', unit: change.unit, from: change.from, to: change.to });
      if (change.property !== 'active') return;
      if (change.unit === UPDATE_ENGINE_UNIT) this.setDaemonRunning(change.to === 'active');
      if (change.unit === LOCKSMITHD_UNIT) this.setLocksmithdRunning(change.to === 'active');
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
      motd: () => (this.distribution === 'ubuntu' ? `Welcome to ${UBUNTU.prettyName} (GNU/Linux ${this.ubuntuKernel} x86_64)\n` : `Flatcar Container Linux by Kinvolk ${this.channel()} ${this.version}\n`),
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
    if (this.distribution === 'ubuntu') return { versionId: UBUNTU.versionId, prettyName: UBUNTU.prettyName, channel: '' };
    return { versionId: this.version, prettyName: prettyNameOf(this.version), channel: this.channel() };
  }

  kernelVersion(): string {
    if (this.distribution === 'ubuntu') return this.ubuntuKernel;
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

  hasProgram(name: string): boolean {
    return this.distribution === 'flatcar' || !FLATCAR_ONLY_PROGRAMS.has(name);
  }

  bootedVersion(): string {
    return this.version;
  }

  updateEngine(): UpdateEngine | null {
    return this.daemon;
  }

  /**
   * update_engine's StatusUpdate D-Bus signal as a bus match receives it (locksmithd, FLUO's agent): from
   * whichever process owns com.coreos.update1, so the subscription outlives update-engine restarts.
   */
  onUpdateEngineSignal(listener: StatusListener): () => void {
    this.statusSignal.add(listener);
    return () => this.statusSignal.delete(listener);
  }

  sudoRequiresPassword(): boolean {
    return this.fault('sudo-password') !== undefined;
  }

  /** `by`: who asked logind for the reboot (recorded in the reboot-start event). */
  requestReboot(by = 'systemctl'): void {
    if (this.power !== 'up' || this.stopped) return;
    this.power = 'shutting-down';
    this.emit({ kind: 'reboot-start', from: 'up', to: 'shutting-down', bootId: this.currentBootId, version: this.version, by });
    this.after(Math.max(REBOOT_TIMINGS.shutdown, MIN_SHUTDOWN_REAL_MS / this.timeScale), () => this.background(this.powerOff()));
  }

  setGoodRoot(): void {
    this.markBootedGood();
  }

  serveLocalUpdate(release: Release | null): void {
    this.localUpdate = release;
  }

  releasePayload(version: string): Release | null {
    return this.deps.releases.payload(version);
  }

  recordBootOrder(from: string | null, to: string | null): void {
    this.emit({ kind: 'boot-order', from, to, by: 'cgpt' });
  }

  private markBootedGood(): void {
    const wasGood = this.usrSlots.bootedPartition().successful;
    this.usrSlots.markBootedGood();
    if (!wasGood) this.emit({ kind: 'boot-marked-good', from: 'unverified', to: 'successful', version: this.version });
  }

  /** VERSION_ID of the release on the booted USR partition (Ubuntu's VERSION_ID on the Ubuntu node). */
  private get version(): string {
    if (this.distribution === 'ubuntu') return UBUNTU.versionId;
    return this.usrSlots.bootedPartition().version as string;
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
    this.locksmithd?.kill();
    this.locksmithd = null;
    await this.ssh.close();
  }

  /** GROUP as update_engine looks it up (omaha_request_params.cc): /etc, then the image's files, else stable; none on Ubuntu. */
  channel(): string {
    if (this.distribution === 'ubuntu') return '';
    return this.updateEngineConf('GROUP') ?? 'stable';
  }

  private updateEngineConf(key: string): string | undefined {
    return confValue([UPDATE_CONF, VENDOR_UPDATE_CONF, RELEASE_FILE].map((path) => this.fileContent(path)), key, this.version);
  }

  snapshot() {
    return {
      name: this.name,
      address: this.address,
      port: this.sshPort,
      power: this.power,
      bootId: this.currentBootId,
      version: this.version,
      nextBootVersion: this.nextBootVersion(),
      fallbackVersion: this.fallbackVersion(),
      usr: this.usrSlots.all().map((p) => ({ label: p.label, version: p.version, priority: p.priority, tries: p.tries, successful: p.successful, booted: p === this.usrSlots.bootedPartition() })),
      channel: this.channel(),
      units: this.units.snapshot(),
      updateEngine: this.daemon?.status() ?? null,
      runningCommands: this.ssh.runningCommands,
    };
  }

  /** The version the next boot starts when it is not the booted one (a staged update, a manual rollback). */
  private nextBootVersion(): string | null {
    const next = this.usrSlots.nextBoot();
    return next && next !== this.usrSlots.bootedPartition() ? next.version : null;
  }

  /** The other partition's version while the booted one is not yet marked successful (GRUB falls back to it). */
  private fallbackVersion(): string | null {
    return this.usrSlots.bootedPartition().successful ? null : this.usrSlots.otherPartition().version;
  }

  /** A file of a mounted USR partition: its release files (the image's /usr is the mount's root). */
  private mountedFile(path: string): string | null {
    for (const [dir, number] of this.mounts) {
      if (!path.startsWith(`${dir}/`)) continue;
      const version = this.usrSlots.partition(number)?.version;
      if (!version) return null;
      const inside = path.slice(dir.length);
      if (inside === '/share/flatcar/release') return renderReleaseFile(version);
      if (inside === '/lib/os-release' || inside === '/share/flatcar/os-release') return renderOsRelease(version);
      return null;
    }
    return null;
  }

  /** Ubuntu's own files: os-release, the reboot sentinel; nothing of Flatcar's image. */
  private ubuntuFileContent(path: string): string | null {
    if (path === '/etc/os-release' || path === '/usr/lib/os-release') return UBUNTU_OS_RELEASE;
    const pending = this.ubuntuRebootPackages;
    if ((REBOOT_REQUIRED_PATHS as readonly string[]).includes(path)) return pending.length > 0 ? REBOOT_REQUIRED_TEXT : null;
    if ((REBOOT_REQUIRED_PKGS_PATHS as readonly string[]).includes(path)) return pending.length > 0 ? pending.map((p) => `${p}\n`).join('') : null;
    if (path === '/proc/sys/kernel/random/boot_id' || path === '/etc/machine-id' || path === '/etc/hostname') return this.flatcarFileContent(path);
    return null;
  }

  private fileContent(path: string): string | null {
    return this.distribution === 'ubuntu' ? this.ubuntuFileContent(path) : this.flatcarFileContent(path);
  }

  private flatcarFileContent(path: string): string | null {
    switch (path) {
      case '/etc/os-release':
      case '/usr/lib/os-release':
      case '/usr/share/flatcar/os-release':
        return renderOsRelease(this.version);
      case '/usr/lib64/os-release':
        return hasLib64OsRelease(this.version) ? renderOsRelease(this.version) : null;
      case '/proc/sys/kernel/random/boot_id':
        return `${this.currentBootId}\n`;
      case '/etc/coreos/update.conf':
        return this.etcFlatcar.read(UPDATE_CONF);
      case VENDOR_UPDATE_CONF:
        return renderDefaultUpdateConf(channelOf(this.version));
      case RELEASE_FILE:
        return renderReleaseFile(this.version);
      case '/etc/machine-id':
        return `${this.machineId}\n`;
      case '/etc/hostname':
        return `${this.name}\n`;
      case '/run/reboot-required':
        return this.rebootRequired ? '' : null;
      default:
        return this.mountedFile(path) ?? this.etcFlatcar.read(path);
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
    const daemon = new UpdateEngine({
      clock: this.clock,
      timeScale: this.timeScale,
      random: this.deps.random,
      bytesPerSecond: this.spec.bytesPerSecond,
      scheduledChecks: this.deps.scheduledUpdateChecks,
      omahaCheck: () => {
        // The request goes to SERVER; anything that is not an http(s) URL (SERVER=disabled) cannot be sent.
        if (!/^https?:\/\/[^\s/]+/.test(this.updateEngineConf('SERVER') ?? PRODUCTION_OMAHA_URL)) return { kind: 'error' };
        // flatcar-update's fake Omaha on localhost serves exactly the release it downloaded, whatever the version
        if (this.localUpdate && (this.updateEngineConf('SERVER') ?? '').startsWith(LOCAL_OMAHA_URL)) return { kind: 'update', ...this.localUpdate };
        const offer = this.deps.releases.offer(this.channel(), this.version);
        return offer ? { kind: 'update', ...offer } : { kind: 'no-update' };
      },
      faults: () => ({
        failAt: this.fault('update-error')?.phase ?? null,
        downloadStalled: this.fault('download-stall') !== undefined,
      }),
      completedMarker: { present: () => this.updateCompleted, set: (present) => (this.updateCompleted = present) },
      updateBootFlags: () => this.markBootedGood(),
    });
    daemon.subscribe((status, previous) => {
      this.onUpdateStatus(status, previous);
      for (const listener of [...this.statusSignal]) listener(status, previous);
    });
    this.daemon = daemon;
  }

  // One locksmithd process per start of the unit; systemd restarts it 10 s after a failure (Restart=on-failure).
  private setLocksmithdRunning(running: boolean): void {
    if (!running) {
      this.locksmithd?.kill();
      this.locksmithd = null;
      return;
    }
    if (this.locksmithd) return;
    const environment = new Map<string, string>();
    for (const path of [VENDOR_UPDATE_CONF, UPDATE_CONF]) parseEnvironmentFile(this.fileContent(path) ?? '', environment);
    const process: Locksmithd = new Locksmithd({
      clock: this.clock,
      timeScale: this.timeScale,
      environment,
      updateEngineStatus: () => this.daemon?.status().currentOperation ?? null,
      onStatusSignal: (listener) => this.onUpdateEngineSignal((status) => listener(status.currentOperation)),
      broadcast: (message) => this.ssh.writeToTerminals(wallMessage('locksmithd', new Date(this.clock.now()), message)),
      reboot: () => this.requestReboot('locksmithd'),
      log: (message) => this.emit({ kind: 'journal', from: null, to: null, unit: LOCKSMITHD_UNIT, message }),
      exit: (code) => {
        if (this.locksmithd !== process) return;
        this.locksmithd = null;
        this.units.setActive(LOCKSMITHD_UNIT, code === 0 ? 'inactive' : 'activating');
        if (code !== 0) this.after(LOCKSMITHD_TIMINGS.restart, () => {
          if (this.units.activeState(LOCKSMITHD_UNIT) === 'activating' && this.power === 'up') this.units.setActive(LOCKSMITHD_UNIT, 'active');
        });
      },
    });
    this.locksmithd = process;
    process.start();
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
    // postinst has switched the partition priority (the new version boots next, even after -reset_status) and
    // touched /run/reboot-required.
    if (op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT' && previous.currentOperation === 'UPDATE_STATUS_FINALIZING') {
      this.usrSlots.install(status.newVersion);
      this.rebootRequired = true;
    }
  }

  private async powerOff(): Promise<void> {
    this.daemon?.shutdown();
    this.daemon = null;
    this.locksmithd?.kill();
    this.locksmithd = null;
    for (const unit of BOOT_UNITS) if (this.units.get(unit).exists) this.units.setActive(unit, false);
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
    this.mounts.clear();
    this.updateCompleted = false;
    this.rebootRequired = false;
    if (!firstBoot && this.ubuntuRebootPackages.length > 0) {
      // the kernel the pending packages installed is the one this boot starts
      this.ubuntuKernel = PENDING_REBOOT_PACKAGES[0]?.replace(/^linux-image-/, '') ?? this.ubuntuKernel;
      this.ubuntuRebootPackages = [];
    }
    this.units.clearRuntimeMasks();
    this.etcFlatcar.ensureUpdateConf();
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

  // GRUB's choice between USR-A and USR-B (manual-rollbacks.md): a freshly installed partition boots once; if
  // update_engine did not mark it successful during that boot, the next boot falls back to the other one.
  private chooseBootSlot(): void {
    const before = this.usrSlots.bootedPartition();
    const staged = this.usrSlots.nextBoot();
    if (staged && staged !== before && !staged.successful && this.fault('rollback')) {
      this.usrSlots.failNextBoot();
      this.emit({ kind: 'rollback', from: staged.version, to: before.version });
    }
    const wasUnverified = !before.successful;
    const booted = this.usrSlots.boot();
    if (booted !== before && wasUnverified && before.tries === 0) {
      this.emit({ kind: 'rollback', from: before.version, to: booted.version, reason: 'slot never marked successful' });
    }
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

/** A wall message as locksmithd writes it to each terminal (daemon.go broadcast). */
function wallMessage(from: string, at: Date, message: string): string {
  const line = (text: string) => text.slice(0, 79).padEnd(79);
  const blank = `\r${' '.repeat(79)}\r\n`;
  return `${blank}${line(`Broadcast message from ${from} at ${at.toISOString().replace('T', ' ').replace('Z', ' +0000 UTC')}:`)}\x07\x07\r\n${line(message)}\r\n${blank}`;
}
