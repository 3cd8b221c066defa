import type { ErrorKind } from '../api/errors.ts';
import type { NodeLiveState } from '../api/nodes.ts';
import { UpdateOp, type UpdateEngineStatus } from '../api/update-engine.ts';
import type { FlatcarNode, UeStatus } from '../flatcar/node.ts';
import { nodeFailure } from '../flatcar/node-errors.ts';
import type { Clock } from '../support/clock.ts';
import { backoffDelayMs, type Backoff } from '../support/retry.ts';
import { readLiveState } from './live-state.ts';

export interface FollowTiming {
  /** Between attempts after the node was lost (a reboot, a network blip). */
  backoff: Backoff;
  /** How often a node whose update-engine is masked is asked whether it runs again. */
  engineOffRecheckMs: number;
  /**
   * How often a followed node's `-status` is compared with what the stream said: the stream's D-Bus proxy is
   * bound to the daemon it started with and goes silent when update-engine restarts.
   */
  reconcileMs: number;
  /** How long a node that was followed may stay lost (a reboot takes a few minutes at most) before it is given up. */
  giveUpAfterMs: number;
}

export const defaultFollowTiming: FollowTiming = {
  backoff: { initialMs: 1000, maxMs: 10_000, jitter: true },
  engineOffRecheckMs: 60_000,
  reconcileMs: 60_000,
  giveUpAfterMs: 5 * 60_000,
};

export interface FollowerDeps {
  /** The node's adapter, resolved afresh for every attempt (its address may have changed). */
  connect(): Promise<FlatcarNode>;
  emit(state: NodeLiveState): void;
  clock: Clock;
  timing: FollowTiming;
}

/**
 * Failures that pass: the node reboots or the network blips. Anything else (an unknown host key the operator
 * declined, a rejected login) is theirs to fix, and trying again would only ask them again.
 */
const PASSING = new Set<ErrorKind>(['ssh-unreachable', 'ssh-timeout', 'ssh-disconnected', 'update-engine-unavailable', 'command-failed']);

type Outcome =
  | { kind: 'stopped' }
  | { kind: 'engine-off' }
  | { kind: 'lost'; message: string; passing: boolean; streamed: boolean };

function apiStatus(s: UeStatus): UpdateEngineStatus | null {
  const op = UpdateOp.safeParse(s.op);
  return op.success ? { lastCheckedTime: s.lastCheckedTime, progress: s.progress, currentOp: op.data, newVersion: s.newVersion, newSize: s.newSize } : null;
}

const UPDATE_ENGINE = 'update-engine.service';

const sameStatus = (a: UpdateEngineStatus | null, b: UpdateEngineStatus) =>
  a !== null && a.currentOp === b.currentOp && a.progress === b.progress && a.newVersion === b.newVersion && a.newSize === b.newSize && a.lastCheckedTime === b.lastCheckedTime;

/**
 * Follows one Flatcar node's update_engine until `signal` aborts: `update_engine_client -watch_for_updates`
 * streams every status the daemon broadcasts (it prints none at start, so a full read follows the stream's
 * start), and each change goes out as a live state. A node lost after it was followed (a reboot) is shown as not
 * reachable and followed again with backoff, for `giveUpAfterMs` at most; a node not reached at the start is left
 * to the reads the operator asks for (retrying every unreachable address of a large fleet would hold the SSH
 * pool's dials for nothing). A masked update-engine is asked again now and then.
 */
export async function followNode(name: string, deps: FollowerDeps, signal: AbortSignal): Promise<void> {
  const last: Track = { state: null, reached: false };
  let everReached = false;
  let lostSinceMs: number | null = null;
  let failures = 0;
  while (!signal.aborted) {
    last.reached = false;
    let outcome: Outcome;
    try {
      outcome = await followOnce(await deps.connect(), deps, last, signal);
    } catch (err) {
      const failure = nodeFailure(err, name);
      outcome = { kind: 'lost', message: failure.message, passing: PASSING.has(failure.kind), streamed: false };
    }
    if (signal.aborted || outcome.kind === 'stopped') return;
    everReached ||= last.reached;
    if (last.reached) lostSinceMs = null;
    if (outcome.kind === 'engine-off') {
      failures = 0;
      await pause(deps.clock, deps.timing.engineOffRecheckMs, signal);
      continue;
    }
    const nowMs = deps.clock.nowMs();
    const unknown = { node: name, updateEngineUnit: null, versionId: null, ...last.state, at: new Date(nowMs).toISOString(), updateEngine: null };
    if (!outcome.passing || !everReached || (lostSinceMs !== null && nowMs - lostSinceMs >= deps.timing.giveUpAfterMs)) {
      deps.emit({ ...unknown, error: `${outcome.message} (flatdeck stopped following this node's update_engine; Refresh tries again)` });
      return;
    }
    if (outcome.streamed) failures = 0;
    if (lostSinceMs === null) {
      // once per outage: the attempts that follow would only say the same again
      lostSinceMs = nowMs;
      deps.emit({ ...unknown, error: `${outcome.message} (following it again)` });
    }
    await pause(deps.clock, backoffDelayMs(deps.timing.backoff, failures++), signal);
  }
}

/** What a node's follower keeps across attempts. */
interface Track {
  state: NodeLiveState | null;
  /** This attempt got an answer from the node. */
  reached: boolean;
}

async function followOnce(node: FlatcarNode, deps: FollowerDeps, last: Track, signal: AbortSignal): Promise<Outcome> {
  // Reaching the node first tells why it cannot be (a declined host key is not retried); this also opens the
  // connection the stream and the reads share. A stopped daemon has no stream to give.
  const unit = await node.unitState(UPDATE_ENGINE);
  last.reached = true;
  if (!unit.active) {
    const read = await readLiveState(node);
    if (signal.aborted) return { kind: 'stopped' };
    last.state = read;
    deps.emit(read);
    return { kind: 'engine-off' };
  }
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const now = () => new Date(deps.clock.nowMs()).toISOString();
  let heard = 0;
  let fromStream: UpdateEngineStatus | null = null;
  let shown: NodeLiveState | null = null;
  const show = (ue: UpdateEngineStatus) => {
    if (!shown || stop.signal.aborted || sameStatus(shown.updateEngine, ue)) return;
    shown = { ...shown, at: now(), updateEngine: ue };
    last.state = shown;
    deps.emit(shown);
  };
  let failure: ReturnType<typeof nodeFailure> | null = null;
  const stream = node
    .watch((s) => {
      const ue = apiStatus(s);
      if (!ue) return;
      heard++;
      fromStream = ue;
      show(ue);
    }, stop.signal)
    .then(
      () => 'ended' as const,
      (err: unknown) => {
        failure = nodeFailure(err, node.name);
        return 'ended' as const;
      },
    );
  const lost = (streamed: boolean): Outcome => {
    const f = failure as ReturnType<typeof nodeFailure> | null;
    return { kind: 'lost', message: f?.message ?? `update_engine_client -watch_for_updates ended on ${node.name}`, passing: f ? PASSING.has(f.kind) : true, streamed };
  };
  try {
    const read = await readLiveState(node);
    if (signal.aborted) return { kind: 'stopped' };
    // update-engine stopped in between, or the node went away
    if (!read.updateEngine) return { kind: 'lost', message: read.error ?? `update-engine stopped on ${node.name}`, passing: true, streamed: false };
    // a broadcast that arrived while the read ran is newer than what the read saw
    shown = { ...read, updateEngine: fromStream ?? read.updateEngine };
    last.state = shown;
    deps.emit(shown);
    for (;;) {
      const tick = new AbortController();
      const woke = await Promise.race([stream, pause(deps.clock, deps.timing.reconcileMs, tick.signal).then(() => 'tick' as const)]);
      tick.abort();
      if (woke === 'ended' || signal.aborted) break;
      const before = heard;
      const status = apiStatus(await node.status());
      if (status && heard === before) show(status);
    }
    return signal.aborted ? { kind: 'stopped' } : lost(true);
  } finally {
    stop.abort();
    signal.removeEventListener('abort', onAbort);
    await stream;
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return clock.sleep(ms, signal).catch(() => undefined);
}
