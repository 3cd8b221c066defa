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
  /** run the daemon's own periodic checks (first after 7±5 min, then every 45±5 min) */
  scheduledChecks: boolean;
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
  private receivedBytes = 0;
  private stopped = false;

  constructor(
    private readonly env: UpdateEngineEnv,
    needRebootMarker: { version: string; size: number } | null = null,
  ) {
    this.current = needRebootMarker
      ? { lastCheckedTime: 0, progress: 0, currentOperation: 'UPDATE_STATUS_UPDATED_NEED_REBOOT', newVersion: needRebootMarker.version, newSize: needRebootMarker.size }
      : { lastCheckedTime: 0, progress: 0, currentOperation: 'UPDATE_STATUS_IDLE', newVersion: VERSION_ZERO, newSize: 0 };
    if (env.scheduledChecks) this.scheduleCheck(UPDATE_ENGINE_TIMINGS.firstScheduledCheck);
  }

  status(): UpdateEngineStatus {
    return { ...this.current };
  }

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** D-Bus AttemptUpdate: starts a check only from IDLE; otherwise the daemon skips it. */
  attemptUpdate(): boolean {
    if (this.stopped || this.current.currentOperation !== 'UPDATE_STATUS_IDLE') return false;
    this.startCheck();
    return true;
  }

  /** D-Bus ResetStatus: allowed from IDLE (no-op) and UPDATED_NEED_REBOOT. */
  resetStatus(): boolean {
    const op = this.current.currentOperation;
    if (op === 'UPDATE_STATUS_IDLE') return true;
    if (op !== 'UPDATE_STATUS_UPDATED_NEED_REBOOT') return false;
    this.set({ currentOperation: 'UPDATE_STATUS_IDLE', progress: 0, newVersion: VERSION_ZERO, newSize: 0 });
    return true;
  }

  /** The daemon process ends (unit stopped or machine shutting down). */
  shutdown(): void {
    this.stopped = true;
    this.clearPhase();
    if (this.scheduleTimer !== null) this.env.clock.clearTimeout(this.scheduleTimer);
    this.scheduleTimer = null;
    this.listeners.clear();
  }

  private scaled(ms: number): number {
    return ms * this.env.timeScale;
  }

  private scheduleCheck(baseMs: number): void {
    const fuzz = (this.env.random() * 2 - 1) * UPDATE_ENGINE_TIMINGS.scheduleFuzz;
    this.scheduleTimer = this.env.clock.setTimeout(() => {
      if (this.current.currentOperation === 'UPDATE_STATUS_IDLE') this.startCheck();
      this.scheduleCheck(UPDATE_ENGINE_TIMINGS.scheduledInterval);
    }, this.scaled(baseMs + fuzz));
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

  private set(patch: Partial<UpdateEngineStatus>): void {
    const previous = this.current;
    this.current = { ...previous, ...patch };
    for (const listener of [...this.listeners]) listener(this.status(), { ...previous });
  }

  private startCheck(): void {
    this.set({ currentOperation: 'UPDATE_STATUS_CHECKING_FOR_UPDATE' });
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
