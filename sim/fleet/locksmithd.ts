// One run of the locksmithd process (flatcar/locksmith locksmithctl/daemon.go runDaemon): reads its strategy
// from the environment systemd gave it at start, exits on `off`, waits for update_engine to say
// UPDATED_NEED_REBOOT (at once when it already does), waits for the reboot window, then reboots through logind
// after warning logged-in users and waiting 5 minutes for them. It never drains the node.
import type { Clock, TimerId } from './clock.ts';
import { durationToStart, parsePeriodic } from './periodic.ts';
import type { UpdateOperation } from './update-engine.ts';

export const LOCKSMITHD_TIMINGS = {
  /** loginsRebootDelay */
  loginsDelay: 5 * 60_000,
  /** locksmithd.service RestartSec=10s (Restart=on-failure) */
  restart: 10_000,
} as const;

export interface LocksmithdHost {
  clock: Clock;
  timeScale: number;
  /** EnvironmentFile=-/usr/share/flatcar/update.conf then -/etc/flatcar/update.conf, read when the unit starts */
  environment: ReadonlyMap<string, string>;
  /** GetStatus over D-Bus; null when com.coreos.update1 has no owner (the call fails) */
  updateEngineStatus(): UpdateOperation | null;
  /** the StatusUpdate signal match (any sender, so it outlives update-engine restarts) */
  onStatusSignal(listener: (op: UpdateOperation) => void): () => void;
  /** writes the message to every logged-in terminal (utmp lines); returns how many there were */
  broadcast(message: string): number;
  reboot(): void;
  /** journal line */
  log(message: string): void;
  /** the process ended with this status */
  exit(code: number): void;
}

export class Locksmithd {
  private timer: TimerId | null = null;
  private unsubscribe: (() => void) | null = null;
  private ended = false;

  constructor(private readonly host: LocksmithdHost) {}

  start(): void {
    this.run();
  }

  /** SIGTERM from systemctl stop or shutdown. */
  kill(): void {
    this.ended = true;
    this.clear();
  }

  private run(): void {
    const strategy = this.host.environment.get('REBOOT_STRATEGY') || 'reboot';
    if (strategy === 'off') {
      this.host.log(`Reboot strategy is "off" - locksmithd is exiting.`);
      return this.end(0);
    }
    const op = this.host.updateEngineStatus();
    if (op === null) {
      this.host.log('Cannot get update engine status: The name com.coreos.update1 was not provided by any .service files');
      return this.end(1);
    }
    this.host.log(`locksmithd starting currentOperation="${op}" strategy="${strategy}"`);
    if (op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT') return this.afterRebootNeeded(strategy);
    this.unsubscribe = this.host.onStatusSignal((signalled) => {
      if (signalled !== 'UPDATE_STATUS_UPDATED_NEED_REBOOT' || this.ended) return;
      this.unsubscribe?.();
      this.unsubscribe = null;
      this.afterRebootNeeded(strategy);
    });
  }

  private afterRebootNeeded(strategy: string): void {
    const env = this.host.environment;
    const start = env.get('LOCKSMITHD_REBOOT_WINDOW_START') || env.get('REBOOT_WINDOW_START') || '';
    const length = env.get('LOCKSMITHD_REBOOT_WINDOW_LENGTH') || env.get('REBOOT_WINDOW_LENGTH') || '';
    if ((start === '') !== (length === '')) {
      this.host.log('unable to check reboot window period: Either both or neither $REBOOT_WINDOW_START and $REBOOT_WINDOW_LENGTH must be set');
      return this.end(1);
    }
    let waitMs = 0;
    if (start !== '') {
      const periodic = parsePeriodic(start, length);
      if (!periodic.ok) {
        this.host.log(`unable to check reboot window period: unable to parse periodic: ${periodic.error}`);
        return this.end(1);
      }
      waitMs = durationToStart(periodic.value, new Date(this.host.clock.now()));
      if (waitMs > 0) this.host.log(`Reboot window start is "${start}" and length is "${length}"`);
    } else {
      this.host.log('No configured reboot window');
    }
    if (waitMs > 0) this.after(waitMs, () => this.reboot(strategy));
    else this.reboot(strategy);
  }

  private reboot(strategy: string): void {
    if (strategy === 'etcd-lock') {
      // The simulated cluster runs no etcd for locksmith: the lock client cannot reach 127.0.0.1:2379, so the
      // lock is never taken and the node never reboots (the unit restarts and tries again).
      this.host.log('Failed to unlock held lock: dial tcp 127.0.0.1:2379: connect: connection refused');
      return this.end(1);
    }
    if (strategy !== 'reboot') {
      this.host.log(`unknown strategy: ${strategy}`);
      return this.end(1);
    }
    const lines = this.host.broadcast('System reboot in 5 minutes!');
    if (lines === 0) return this.host.reboot();
    this.host.log('Logins detected, delaying reboot for 5 minutes.');
    this.after(LOCKSMITHD_TIMINGS.loginsDelay, () => this.host.reboot());
  }

  private after(simulatedMs: number, fn: () => void): void {
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = null;
      if (!this.ended) fn();
    }, simulatedMs * this.host.timeScale);
  }

  private end(code: number): void {
    this.ended = true;
    this.clear();
    this.host.exit(code);
  }

  private clear(): void {
    if (this.timer !== null) this.host.clock.clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
