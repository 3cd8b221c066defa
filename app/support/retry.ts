import type { Clock } from './clock.ts';

/** Exponential backoff: `initialMs`, doubling per attempt, capped at `maxMs`; `jitter` spreads it over [½, 1]. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  jitter?: boolean;
}

export function backoffDelayMs(b: Backoff, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return b.jitter ? base / 2 + random() * (base / 2) : base;
}

export interface RetryPolicy {
  clock: Pick<Clock, 'nowMs' | 'sleep'>;
  backoff: Backoff;
  /** Whether this failure is worth another attempt; anything else is thrown at once. */
  retryable(err: unknown): boolean;
  /** Give up (throwing the last failure) once the clock passes this instant. */
  deadlineMs?: number;
  /** Give up after this many attempts in all. */
  maxAttempts?: number;
  /** A delay the other side asked for (HTTP Retry-After), which wins over the backoff. */
  askedDelayMs?(err: unknown): number | null;
  onRetry?(r: { attempt: number; delayMs: number; error: unknown }): void;
  signal?: AbortSignal;
}

/** Runs `attempt` until it succeeds, a failure is not retryable, or the budget (deadline, attempts) is spent. */
export async function retry<T>(attempt: (n: number) => Promise<T>, p: RetryPolicy): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!p.retryable(err) || (p.maxAttempts !== undefined && n + 1 >= p.maxAttempts)) throw err;
      const now = p.clock.nowMs();
      if (p.deadlineMs !== undefined && now >= p.deadlineMs) throw err;
      const wanted = p.askedDelayMs?.(err) ?? backoffDelayMs(p.backoff, n);
      const delayMs = p.deadlineMs === undefined ? wanted : Math.min(wanted, p.deadlineMs - now);
      p.onRetry?.({ attempt: n + 1, delayMs, error: err });
      await p.clock.sleep(delayMs, p.signal);
    }
  }
}

export interface PollOptions {
  clock: Pick<Clock, 'nowMs' | 'sleep'>;
  intervalMs: number;
  /** Returns (instead of waiting on) when the clock passes this instant: the caller says what that means. */
  deadlineMs?: number;
  signal?: AbortSignal;
  /** Cuts a pause short when something (a watch) saw the polled thing change: the next check runs at once. */
  nudge?: Nudge;
}

/**
 * A wake-up call for a poll: `fire` ends the pause under way, or the next one if none is (a change seen during
 * a check is not lost). The check itself still decides: a nudge only makes it come sooner.
 */
export class Nudge {
  private pending = false;
  private readonly waiters = new Set<() => void>();

  fire(): void {
    if (this.waiters.size === 0) this.pending = true;
    for (const wake of this.waiters) wake();
  }

  /** `clock.sleep(ms, signal)`, ended early by `fire`; a cancelled `signal` still rejects. */
  async pause(clock: Pick<Clock, 'sleep'>, ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    if (this.pending) {
      this.pending = false;
      return;
    }
    const woken = new AbortController();
    const wake = () => woken.abort();
    const cancel = () => woken.abort(signal?.reason);
    this.waiters.add(wake);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      await clock.sleep(ms, woken.signal);
    } catch (err) {
      if (signal?.aborted) throw err;
    } finally {
      this.waiters.delete(wake);
      signal?.removeEventListener('abort', cancel);
    }
  }
}

/**
 * Asks `check` at a steady pace (sooner when nudged) until it gives an answer (anything but undefined). A
 * cancelled `signal` rejects the wait, so a cancelled caller never spins. Resolves `{ timedOut: true }` at the
 * deadline.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, o: PollOptions): Promise<{ timedOut: false; value: T } | { timedOut: true }> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return { timedOut: false, value };
    if (o.deadlineMs !== undefined && o.clock.nowMs() >= o.deadlineMs) return { timedOut: true };
    if (o.nudge) await o.nudge.pause(o.clock, o.intervalMs, o.signal);
    else await o.clock.sleep(o.intervalMs, o.signal);
  }
}
