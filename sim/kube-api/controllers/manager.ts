// Runs the built-in controllers (the controller-manager role): a reconcile pass over every controller shortly
// after any change, plus a periodic pass for time-driven work. Controllers are level-triggered and idempotent;
// a conflict just waits for the next pass.
import type { Store } from '../store.ts';

export interface Controller {
  readonly name: string;
  sync(now: number): void | Promise<void>;
}

export class ControllerManager {
  private readonly store: Store;
  private readonly controllers: Controller[];
  private readonly periodMs: number;
  private timer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  private unsubscribe: () => void = () => {};
  readonly failures: Array<{ controller: string; error: string }> = [];

  constructor(store: Store, controllers: Controller[], periodMs: number) {
    this.store = store;
    this.controllers = controllers;
    this.periodMs = periodMs;
  }

  start(): void {
    this.unsubscribe = this.store.subscribe(() => this.schedule());
    this.ticker = setInterval(() => this.schedule(), this.periodMs);
    this.schedule();
  }

  /** Requests a pass soon (coalesced with pending ones). */
  schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer ??= setTimeout(() => void this.pass(), 2);
  }

  private async pass(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    this.again = false;
    for (const c of this.controllers) {
      if (this.stopped) break;
      try {
        await c.sync(Date.now());
      } catch (e) {
        this.failures.push({ controller: c.name, error: e instanceof Error ? e.message : String(e) });
        if (this.failures.length > 100) this.failures.shift();
      }
    }
    this.running = false;
    if (this.again) this.schedule();
  }

  /** Resolves once no pass is pending or running (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running || this.timer) await new Promise((r) => setTimeout(r, 5));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    if (this.ticker) clearInterval(this.ticker);
  }
}
