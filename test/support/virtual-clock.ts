// Virtual time for code that takes a clock (`{ nowMs, sleep }`, e.g. app/pipeline's Clock), so tests measure waits
// instead of waiting them out. Two ways to drive it:
//   virtualClock()      every sleep returns at once and moves the clock (run-to-completion tests);
//   new SteppedClock()  sleeps wait until the test calls advance(ms) (tests of what happens between ticks).
import type { Clock } from '../../app/pipeline/ports.ts';

/** Every sleep returns at once and moves the clock, so waits are measured (`t`, `sleeps`), not waited for. */
export function virtualClock(start = Date.parse('2026-11-26T12:00:00Z')): Clock & { t: number; sleeps: number[] } {
  const c = {
    t: start,
    sleeps: [] as number[],
    nowMs: () => c.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      c.sleeps.push(ms);
      c.t += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
  return c;
}

interface Sleeper {
  due: number;
  wake(): void;
}

/** Sleeps end only when the test moves time past them with advance(); each woken sleeper runs before the next. */
export class SteppedClock implements Clock {
  private t: number;
  private readonly sleepers = new Set<Sleeper>();

  constructor(start = Date.parse('2026-11-26T12:00:00Z')) {
    this.t = start;
  }

  nowMs(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = { due: this.t + ms, wake: resolve };
      this.sleepers.add(sleeper);
      signal?.addEventListener('abort', () => {
        this.sleepers.delete(sleeper);
        reject(signal.reason);
      }, { once: true });
    });
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.sleepers].filter((s) => s.due <= end).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.sleepers.delete(next);
      this.t = next.due;
      next.wake();
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
  }
}
