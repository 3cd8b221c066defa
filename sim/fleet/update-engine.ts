// The update_engine daemon's state machine (flatcar/update_engine update_attempter.cc), free of I/O:
// time comes from an injected Clock, the Omaha answer and the faults from injected functions.
import type { Clock, TimerId } from './clock.ts';

export const UPDATE_OPERATIONS = [
  'UPDATE_STATUS_IDLE',
  'UPDATE_STATUS_CHECKING_FOR_UPDATE',
  'UPDATE_STATUS_UPDATE_AVAILABLE',
  'UPDATE_STATUS_DOWNLOADING',
  'UPDATE_STATUS_VERIFYING',
  'UPDATE_STATUS_FINALIZING',
  'UPDATE_STATUS_UPDATED_NEED_REBOOT',
  'UPDATE_STATUS_REPORTING_ERROR_EVENT',
] as const;
export type UpdateOperation = (typeof UPDATE_OPERATIONS)[number];

export interface UpdateEngineStatus {
  lastCheckedTime: number;
  progress: number;
  currentOperation: UpdateOperation;
  newVersion: string;
  newSize: number;
}

export type OmahaResponse = { kind: 'update'; version: string; size: number } | { kind: 'no-update' } | { kind: 'error' };

export type FailurePhase = 'check' | 'download' | 'finalize';

export interface UpdateEngineFaults {
  failAt: FailurePhase | null;
  downloadStalled: boolean;
}

export interface UpdateEngineEnv {
  clock: Clock;
  /** multiplies every simulated duration (0.01 = 100x faster) */
  timeScale: number;
  random: () => number;
  omahaCheck: () => OmahaResponse;
  faults: () => UpdateEngineFaults;
  /** download bandwidth of this machine, bytes per simulated second */
  bytesPerSecond: number;
  /** run the daemon's own periodic checks (first after 7±5 min, then 45±5 min after each IDLE or NEED_REBOOT) */
  scheduledChecks: boolean;
  /** /var/run/update_engine_autoupdate_completed: written at NEED_REBOOT, removed by ResetStatus, gone at reboot */
  completedMarker?: CompletedMarker;
  /** flatcar-setgoodroot: marks the booted USR partition successful */
  updateBootFlags?: () => void;
}

export interface CompletedMarker {
  present(): boolean;
  set(present: boolean): void;
}

/** Durations at timeScale 1, in milliseconds. */
export const UPDATE_ENGINE_TIMINGS = {
  check: 1500,
  updateAvailable: 200,
  finalize: 3000,
  reportError: 1000,
  maxNotifyInterval: 10_000,
  firstScheduledCheck: 7 * 60_000,
  scheduledInterval: 45 * 60_000,
  scheduleFuzz: 5 * 60_000,
  /** main.cc: g_timeout_add_seconds(45, UpdateBootFlags) */
  bootFlags: 45_000,
} as const;

/** A download fault fires once this fraction has been received. */
export const DOWNLOAD_FAILURE_POINT = 0.3;

const VERSION_ZERO = '0.0.0';

export type StatusListener = (status: UpdateEngineStatus, previous: UpdateEngineStatus) => void;

export class UpdateEngine {
  private current: UpdateEngineStatus;
  private readonly listeners = new Set<StatusListener>();
  private phaseTimer: TimerId | null = null;
  private scheduleTimer: TimerId | null = null;
  private readonly bootFlagsTimer: TimerId;
  private startupTimer: TimerId | null;
  private bootFlagsUpdated: boolean;
  private receivedBytes = 0;
  private stopped = false;

  // update_attempter.cc constructor: with the completion marker present only the state comes back;
  // NEW_VERSION, NEW_SIZE and LAST_CHECKED_TIME keep their defaults until the next reboot.
  constructor(private readonly env: UpdateEngineEnv) {
    const staged = env.completedMarker?.present() ?? false;
    this.current = { lastCheckedTime: 0, progress: 0, currentOperation: staged ? 'UPDATE_STATUS_UPDATED_NEED_REBOOT' : 'UPDATE_STATUS_IDLE', newVersion: VERSION_ZERO, newSize: 0 };
    this.bootFlagsUpdated = staged;
    this.bootFlagsTimer = env.clock.setTimeout(() => this.updateBootFlags(), this.scaled(UPDATE_ENGINE_TIMINGS.bootFlags));
    if (env.scheduledChecks) this.scheduleCheck(UPDATE_ENGINE_TIMINGS.firstScheduledCheck);
    // main.cc: g_idle_add(BroadcastStatus) announces the state once the main loop runs.
    this.startupTimer = env.clock.setTimeout(() => this.announceStartup(), 0);
  }

  status(): UpdateEngineStatus {
    return { ...this.current };
  }

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** D-Bus AttemptUpdate (CheckForUpdate): starts a check only from IDLE; otherwise the daemon skips it. */
  attemptUpdate(): boolean {
    if (this.stopped || this.current.currentOperation !== 'UPDATE_STATUS_IDLE') return false;
    this.startCheck();
    return true;
  }

  /**
   * D-Bus ResetStatus: allowed from IDLE (no-op) and UPDATED_NEED_REBOOT. It assigns the state directly instead
   * of through SetStatusAndNotify, so no StatusUpdate signal goes out, and it deletes the completion marker.
   */
  resetStatus(): boolean {
    const op = this.current.currentOperation;
    if (op === 'UPDATE_STATUS_IDLE') return true;
    if (op !== 'UPDATE_STATUS_UPDATED_NEED_REBOOT') return false;
    this.current = { ...this.current, currentOperation: 'UPDATE_STATUS_IDLE', progress: 0, newVersion: VERSION_ZERO, newSize: 0 };
    this.env.completedMarker?.set(false);
    return true;
  }

  /** The daemon process ends (unit stopped or machine shutting down). */
  shutdown(): void {
    this.stopped = true;
    this.clearPhase();
    if (this.scheduleTimer !== null) this.env.clock.clearTimeout(this.scheduleTimer);
    this.scheduleTimer = null;
    this.env.clock.clearTimeout(this.bootFlagsTimer);
    if (this.startupTimer !== null) this.env.clock.clearTimeout(this.startupTimer);
    this.listeners.clear();
  }

  private scaled(ms: number): number {
    return ms * this.env.timeScale;
  }

  // update_check_scheduler.cc: one pending check at a time; a new one is scheduled whenever the state becomes
  // IDLE or UPDATED_NEED_REBOOT. In NEED_REBOOT the check only pings Omaha and re-announces NEED_REBOOT.
  private scheduleCheck(baseMs: number): void {
    if (this.scheduleTimer !== null || this.stopped) return;
    const fuzz = (this.env.random() * 2 - 1) * UPDATE_ENGINE_TIMINGS.scheduleFuzz;
    this.scheduleTimer = this.env.clock.setTimeout(() => {
      this.scheduleTimer = null;
      const op = this.current.currentOperation;
      if (op === 'UPDATE_STATUS_IDLE') this.startCheck();
      else if (op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT') this.set({});
    }, this.scaled(baseMs + fuzz));
  }

  private updateBootFlags(): void {
    if (this.bootFlagsUpdated || this.stopped) return;
    this.bootFlagsUpdated = true;
    this.env.updateBootFlags?.();
  }

  private after(ms: number, fn: () => void): void {
    this.clearPhase();
    this.phaseTimer = this.env.clock.setTimeout(() => {
      this.phaseTimer = null;
      fn();
    }, this.scaled(ms));
  }

  private clearPhase(): void {
    if (this.phaseTimer !== null) this.env.clock.clearTimeout(this.phaseTimer);
    this.phaseTimer = null;
  }

  // The main loop runs the queued start-up broadcast before it serves any D-Bus call.
  private announceStartup(): void {
    if (this.startupTimer === null) return;
    this.env.clock.clearTimeout(this.startupTimer);
    this.startupTimer = null;
    this.broadcast(this.current);
  }

  /** SetStatusAndNotify: every call broadcasts, also when the state did not change. */
  private set(patch: Partial<UpdateEngineStatus>): void {
    this.announceStartup();
    const previous = this.current;
    this.current = { ...previous, ...patch };
    const op = this.current.currentOperation;
    if (op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT') this.env.completedMarker?.set(true);
    if (this.env.scheduledChecks && (op === 'UPDATE_STATUS_IDLE' || op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT')) {
      this.scheduleCheck(UPDATE_ENGINE_TIMINGS.scheduledInterval);
    }
    this.broadcast(previous);
  }

  private broadcast(previous: UpdateEngineStatus): void {
    for (const listener of [...this.listeners]) listener(this.status(), { ...previous });
  }

  private startCheck(): void {
    this.set({ currentOperation: 'UPDATE_STATUS_CHECKING_FOR_UPDATE' });
    // Update() runs UpdateBootFlags before processing: the first check marks the boot good, before the 45 s.
    this.updateBootFlags();
    this.after(UPDATE_ENGINE_TIMINGS.check, () => {
      const response: OmahaResponse = this.env.faults().failAt === 'check' ? { kind: 'error' } : this.env.omahaCheck();
      if (response.kind === 'error') return this.fail();
      const lastCheckedTime = Math.floor(this.env.clock.now() / 1000);
      if (response.kind === 'no-update') return this.set({ currentOperation: 'UPDATE_STATUS_IDLE', lastCheckedTime });
      this.set({ currentOperation: 'UPDATE_STATUS_UPDATE_AVAILABLE', lastCheckedTime, newVersion: response.version, newSize: response.size });
      this.after(UPDATE_ENGINE_TIMINGS.updateAvailable, () => this.startDownload());
    });
  }

  private startDownload(): void {
    this.receivedBytes = 0;
    this.set({ currentOperation: 'UPDATE_STATUS_DOWNLOADING', progress: 0 });
    this.scheduleDownloadTick();
  }

  // The daemon re-notifies per +1% of the payload or at least every 10 s while bytes arrive.
  private scheduleDownloadTick(): void {
    const onePercentMs = (this.current.newSize * 0.01 * 1000) / this.env.bytesPerSecond;
    const tickMs = Math.min(UPDATE_ENGINE_TIMINGS.maxNotifyInterval, onePercentMs);
    this.after(tickMs, () => {
      const faults = this.env.faults();
      if (!faults.downloadStalled) {
        // Throughput wobbles, so PROGRESS reads like a real byte count (0.160216), not whole percents.
        const jitter = 0.85 + 0.3 * this.env.random();
        this.receivedBytes = Math.min(this.current.newSize, this.receivedBytes + (this.env.bytesPerSecond * tickMs * jitter) / 1000);
      }
      // Accumulated floating-point chunks may land a hair below the full size.
      const progress = Math.min(1, this.receivedBytes / this.current.newSize + 1e-9);
      if (faults.failAt === 'download' && progress >= DOWNLOAD_FAILURE_POINT) return this.fail();
      if (progress >= 1) return this.finalize();
      if (progress > this.current.progress) this.set({ progress });
      this.scheduleDownloadTick();
    });
  }

  private finalize(): void {
    this.set({ currentOperation: 'UPDATE_STATUS_FINALIZING', progress: 0 });
    this.after(UPDATE_ENGINE_TIMINGS.finalize, () => {
      if (this.env.faults().failAt === 'finalize') return this.fail();
      this.set({ currentOperation: 'UPDATE_STATUS_UPDATED_NEED_REBOOT', progress: 0 });
    });
  }

  private fail(): void {
    this.set({ currentOperation: 'UPDATE_STATUS_REPORTING_ERROR_EVENT', progress: 0 });
    this.after(UPDATE_ENGINE_TIMINGS.reportError, () =>
      this.set({ currentOperation: 'UPDATE_STATUS_IDLE', progress: 0, newVersion: VERSION_ZERO, newSize: 0 }),
    );
  }
}
