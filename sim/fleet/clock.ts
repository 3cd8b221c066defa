// Time source for the simulated machines. Injected so the update_engine state machine can be driven
// deterministically by tests (ManualClock) and by real timers in the running simulator (systemClock).
export type TimerId = number;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

class SystemClock implements Clock {
  private readonly timers = new Map<TimerId, ReturnType<typeof setTimeout>>();
  private nextId = 1;

  now(): number {
    return performance.timeOrigin + performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.nextId++;
    const handle = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    this.timers.set(id, handle);
    return id;
  }

  clearTimeout(id: TimerId): void {
    const handle = this.timers.get(id);
    if (handle !== undefined) clearTimeout(handle);
    this.timers.delete(id);
  }
}

export const systemClock: Clock = new SystemClock();

/** A clock that only moves when told to; timers fire in due order during advance(). */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Map<TimerId, { due: number; seq: number; fn: () => void }>();
  private nextId = 1;

  constructor(startMs = Date.UTC(2026, 10, 26, 12, 0, 0)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.nextId++;
    this.timers.set(id, { due: this.current + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.timers.delete(id);
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId: TimerId | undefined;
      let next: { due: number; seq: number; fn: () => void } | undefined;
      for (const [id, t] of this.timers) {
        if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) {
          next = t;
          nextId = id;
        }
      }
      if (!next || nextId === undefined) break;
      this.timers.delete(nextId);
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = target;
  }

  pendingTimers(): number {
    return this.timers.size;
  }
}
