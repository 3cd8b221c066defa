import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, Nudge, pollUntil, retry } from '../../app/support/retry.ts';
import { SteppedClock } from '../support/virtual-clock.ts';
import { virtualClock } from './pipeline-fakes.ts';

class Flaky extends Error {
  constructor(readonly transient: boolean, readonly retryAfterMs: number | null = null) {
    super(transient ? 'HTTP 503' : 'HTTP 403');
  }
}

/** Fails with the given errors in turn, then answers "ok"; records the virtual time of every attempt. */
function scripted(clock: { nowMs(): number }, failures: Flaky[]) {
  const at: number[] = [];
  const start = clock.nowMs();
  return {
    at,
    call: async () => {
      at.push(clock.nowMs() - start);
      const f = failures.shift();
      if (f) throw f;
      return 'ok';
    },
  };
}

const transient = (err: unknown) => err instanceof Flaky && err.transient;

describe('retry on the injected clock', () => {
  it('doubles the wait between attempts up to the cap, then succeeds', async () => {
    const clock = virtualClock();
    const s = scripted(clock, [new Flaky(true), new Flaky(true), new Flaky(true), new Flaky(true)]);
    const result = await retry(s.call, { clock, backoff: { initialMs: 100, maxMs: 500 }, retryable: transient });
    assert.equal(result, 'ok');
    assert.deepEqual(s.at, [0, 100, 300, 700, 1200]);
  });

  it('throws a failure that is not worth retrying at once, without waiting', async () => {
    const clock = virtualClock();
    const s = scripted(clock, [new Flaky(true), new Flaky(false)]);
    await assert.rejects(retry(s.call, { clock, backoff: { initialMs: 100, maxMs: 500 }, retryable: transient }), /HTTP 403/);
    assert.deepEqual(s.at, [0, 100]);
  });

  it('gives up with the last failure when the deadline passes, never sleeping past it', async () => {
    const clock = virtualClock();
    const failures = Array.from({ length: 50 }, () => new Flaky(true));
    const s = scripted(clock, failures);
    const deadlineMs = clock.nowMs() + 1000;
    await assert.rejects(retry(s.call, { clock, backoff: { initialMs: 300, maxMs: 300 }, retryable: transient, deadlineMs }), /HTTP 503/);
    assert.deepEqual(s.at, [0, 300, 600, 900, 1000]);
  });

  it('honours a delay the server asked for (Retry-After) over its own backoff', async () => {
    const clock = virtualClock();
    const s = scripted(clock, [new Flaky(true, 5000)]);
    const retries: number[] = [];
    await retry(s.call, {
      clock,
      backoff: { initialMs: 100, maxMs: 500 },
      retryable: transient,
      askedDelayMs: (err) => (err instanceof Flaky ? err.retryAfterMs : null),
      onRetry: (r) => retries.push(r.delayMs),
    });
    assert.deepEqual(s.at, [0, 5000]);
    assert.deepEqual(retries, [5000]);
  });

  it('stops after maxAttempts', async () => {
    const clock = virtualClock();
    const s = scripted(clock, [new Flaky(true), new Flaky(true), new Flaky(true)]);
    await assert.rejects(retry(s.call, { clock, backoff: { initialMs: 10, maxMs: 10 }, retryable: transient, maxAttempts: 2 }), /HTTP 503/);
    assert.equal(s.at.length, 2);
  });

  it('spreads jittered delays over the upper half of the step', () => {
    assert.equal(backoffDelayMs({ initialMs: 500, maxMs: 30_000, jitter: true }, 3, () => 0), 2000);
    assert.equal(backoffDelayMs({ initialMs: 500, maxMs: 30_000, jitter: true }, 3, () => 1), 4000);
    assert.equal(backoffDelayMs({ initialMs: 500, maxMs: 30_000 }, 40), 30_000);
  });
});

describe('polling until an answer', () => {
  it('asks at a steady pace and returns the first answer', async () => {
    const clock = virtualClock();
    const start = clock.nowMs();
    let asked = 0;
    const r = await pollUntil(async () => (++asked === 4 ? 'back' : undefined), { clock, intervalMs: 500 });
    assert.deepEqual(r, { timedOut: false, value: 'back' });
    assert.equal(clock.nowMs() - start, 1500);
  });

  it('reports the deadline instead of waiting past it', async () => {
    const clock = virtualClock();
    const r = await pollUntil(async () => undefined, { clock, intervalMs: 1000, deadlineMs: clock.nowMs() + 3000 });
    assert.deepEqual(r, { timedOut: true });
  });

  it('a cancel ends the wait with the cancel reason instead of spinning', async () => {
    const clock = virtualClock();
    const abort = new AbortController();
    let asked = 0;
    const waiting = pollUntil(
      async () => {
        if (++asked === 3) abort.abort(new Error('cancelled by the operator'));
        return undefined;
      },
      { clock, intervalMs: 500, signal: abort.signal },
    );
    await assert.rejects(waiting, /cancelled by the operator/);
    assert.equal(asked, 3);
  });

  it('a nudge (a watch saw a change) brings the next check at once instead of after the interval', async () => {
    const clock = new SteppedClock();
    const start = clock.nowMs();
    const nudge = new Nudge();
    let gone = false;
    const asked: number[] = [];
    const waiting = pollUntil(async () => (asked.push(clock.nowMs() - start), gone ? 'gone' : undefined), { clock, intervalMs: 1000, nudge });
    await new Promise((r) => setImmediate(r));
    await clock.advance(1000);
    assert.deepEqual(asked, [0, 1000], 'without a nudge: at the interval');
    gone = true;
    nudge.fire();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(asked, [0, 1000, 1000], 'the nudged check came without the clock moving');
    assert.deepEqual(await waiting, { timedOut: false, value: 'gone' });
  });

  it('a nudge while a check runs is kept for the pause after it, and a nudge alone is no answer', async () => {
    const clock = new SteppedClock();
    const nudge = new Nudge();
    let asked = 0;
    const waiting = pollUntil(
      async () => {
        asked++;
        if (asked === 1) nudge.fire();
        return asked === 3 ? 'back' : undefined;
      },
      { clock, intervalMs: 500, nudge },
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(asked, 2, 'the change seen during the first check brought the second at once');
    await clock.advance(499);
    assert.equal(asked, 2, 'no nudge since: the pause runs its course');
    await clock.advance(1);
    assert.deepEqual(await waiting, { timedOut: false, value: 'back' });
  });

  it('a cancel still ends a nudged wait with the cancel reason', async () => {
    const clock = new SteppedClock();
    const abort = new AbortController();
    const waiting = pollUntil(async () => undefined, { clock, intervalMs: 1000, nudge: new Nudge(), signal: abort.signal });
    await new Promise((r) => setImmediate(r));
    abort.abort(new Error('cancelled by the operator'));
    await assert.rejects(waiting, /cancelled by the operator/);
  });
});
