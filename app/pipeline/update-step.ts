import { ApiError } from '../api/errors.ts';
import { pauseFluo } from '../cluster/node-annotations.ts';
import { holdLocksmithd, liftServer } from './node-guards.ts';
import { pollUntil } from '../support/retry.ts';
import { coded, emitStep, journalRecord, runStep, type CodedMessage, type NodeCtx, type StepOutcome } from './run-context.ts';
import type { UeStatus, UnitState } from './ports.ts';

const NEED_REBOOT = 'UPDATE_STATUS_UPDATED_NEED_REBOOT';
const IDLE = 'UPDATE_STATUS_IDLE';
const ERROR_EVENT = 'UPDATE_STATUS_REPORTING_ERROR_EVENT';
const POLL_MS = 1000;

/** `newVersion` null: staged, but update_engine no longer names the version (it restarted after staging it). */
export type UpdateResult = { kind: 'need-reboot'; newVersion: string | null } | { kind: 'current' };

/**
 * NEW_VERSION is the version only while update_engine knows it: after a restart with an update staged it says
 * 0.0.0 (update_attempter.cc restores just the state), and `(null)` when its status could not be read.
 */
const namedVersion = (v: string): string | null => (v === '0.0.0' || v === '(null)' || v === '' ? null : v);

/** Makes update-engine runnable, remembering exactly how it was so it can be put back. */
async function ensureUpdateEngineRunning(ctx: NodeCtx, found: UnitState): Promise<void> {
  if (ctx.rec.ueOriginal === null) {
    ctx.rec.ueOriginal = `${found.file},${found.active ? 'active' : 'inactive'}`;
    journalRecord(ctx);
  }
  if (found.file === 'masked') await ctx.ops.setUnit('update-engine.service', 'unmask');
  if (!found.active) await ctx.ops.setUnit('update-engine.service', 'start');
}

/** How often a wait that shows nothing new still says what it waits for: within 10 s even with a slow poll. */
const HEARTBEAT_MS = 7000;
const SSH_TROUBLE = ['ssh-disconnected', 'ssh-timeout', 'ssh-unreachable'];

const percent = (p: number) => `${Math.round(p * 100)} %`;

/**
 * Follows update_engine until it settles. The -watch_for_updates stream gives every transition; -status
 * polling every second covers a stream that never starts or drops. IDLE only means "current" once a check
 * succeeded after ours was issued (LAST_CHECKED_TIME moved): a failed check also ends in IDLE. Two limits:
 * the whole update (`updateTimeoutSeconds`) and no progress at all (`downloadTimeoutSeconds`), and while
 * nothing moves it says so every 10 s: still at N %, or waiting for SSH.
 */
async function followUpdate(ctx: NodeCtx, checkedBefore: number, deadline: number): Promise<UpdateResult> {
  const { clock } = ctx.deps;
  const stop = new AbortController();
  const onCancel = () => stop.abort();
  ctx.control.signal.addEventListener('abort', onCancel, { once: true });
  const stallMs = ctx.options.downloadTimeoutSeconds * 1000;
  let sawError = false;
  let sawActivity = false;
  let lastOp = '';
  let lastProgress = -1;
  /** The version this check offered, as update_engine named it on the way (the check's own result). */
  let offered: string | null = null;
  let movedAtMs = clock.nowMs();
  let saidAtMs = clock.nowMs();
  let sshDownSinceMs: number | null = null;
  // set by the watch stream and by each poll (closures), so the type is kept wide on purpose
  let settled = null as UpdateResult | ApiError | null;

  const say = (message: string | CodedMessage, detail: Record<string, string | number | boolean | null>) => {
    saidAtMs = clock.nowMs();
    const m = typeof message === 'string' ? { message } : message;
    emitStep(ctx, 'update', 'progress', m.message, { detail, ...(m.code ? { code: m.code, params: m.params ?? {} } : {}) });
  };
  const consider = (s: UeStatus) => {
    if (settled) return;
    offered = namedVersion(s.newVersion) ?? offered;
    if (s.op !== lastOp || Math.abs(s.progress - lastProgress) >= 0.01) {
      lastOp = s.op;
      lastProgress = s.progress;
      movedAtMs = clock.nowMs();
      say(s.op === 'UPDATE_STATUS_DOWNLOADING' ? coded('update.downloading', { version: s.newVersion, percent: Math.floor(s.progress * 100) }, `Downloading ${s.newVersion}: ${percent(s.progress)}`) : s.op, { op: s.op, progress: s.progress, newVersion: s.newVersion, newSize: s.newSize });
      ctx.onRecord(ctx.rec, s.op === 'UPDATE_STATUS_DOWNLOADING' ? s.progress : undefined);
    }
    if (s.op === NEED_REBOOT) settled = { kind: 'need-reboot', newVersion: offered };
    else if (s.op === ERROR_EVENT) sawError = true;
    else if (s.op === IDLE) {
      if (sawError) settled = updateFailed(ctx.node, 'update_engine reported an error');
      else if (s.lastCheckedTime > checkedBefore) settled = { kind: 'current' };
      else if (sawActivity) settled = updateFailed(ctx.node, 'the update check ended without success');
    } else sawActivity = true;
  };
  /** Nothing new for a while: say what we are waiting for, and give up once nothing moved for the stall limit. */
  const stillWaiting = () => {
    const now = clock.nowMs();
    const quietMs = now - movedAtMs;
    if (quietMs >= stallMs) {
      const where = sshDownSinceMs !== null ? `SSH to ${ctx.node} has been failing for ${Math.round((now - sshDownSinceMs) / 1000)} s` : `update_engine stayed at ${lastOp || 'unknown'}${lastOp === 'UPDATE_STATUS_DOWNLOADING' ? ` ${percent(lastProgress)}` : ''}`;
      throw new ApiError('update-failed', `No progress of the update on ${ctx.node} for ${ctx.options.downloadTimeoutSeconds} s (${where}); gave up (--download-timeout). Nothing was cordoned; see journalctl -u update-engine`, {
        node: ctx.node,
        lastOp,
        progress: lastProgress,
      });
    }
    if (now - saidAtMs < HEARTBEAT_MS) return;
    const left = Math.round((stallMs - quietMs) / 1000);
    const failing = Math.round((now - (sshDownSinceMs ?? now)) / 1000);
    const quiet = Math.round(quietMs / 1000);
    if (sshDownSinceMs !== null) say(coded('update.sshFailing', { node: ctx.node, seconds: failing, left }, `Waiting for SSH to ${ctx.node} (failing for ${failing} s; gives up after ${left} s more without progress)`), { waitingFor: 'ssh' });
    else {
      const still = lastOp === 'UPDATE_STATUS_DOWNLOADING'
        ? coded('update.stalledDownloading', { percent: Math.floor(lastProgress * 100), seconds: quiet, left }, `Still downloading at ${percent(lastProgress)}: no progress for ${quiet} s (gives up after ${left} s more)`)
        : coded('update.stalled', { op: lastOp || 'waiting for update_engine', seconds: quiet, left }, `Still ${lastOp || 'waiting for update_engine'}: no progress for ${quiet} s (gives up after ${left} s more)`);
      say(still, { stalledAt: lastOp, stalledSeconds: quiet });
    }
  };

  /** One poll: update_engine's status now, unless the watch stream already settled it. */
  const poll = async (): Promise<true | undefined> => {
    if (settled) return true;
    if (ctx.control.isCancelled) throw new ApiError('cancelled', 'The run was cancelled by the operator');
    if (clock.nowMs() > deadline) {
      throw new ApiError('update-failed', `update_engine on ${ctx.node} did not finish within ${ctx.options.updateTimeoutSeconds} s (last state ${lastOp || 'unknown'}); see journalctl -u update-engine`, {
        node: ctx.node,
        lastOp,
      });
    }
    try {
      consider(await ctx.ops.status());
      if (sshDownSinceMs !== null) say(coded('update.sshBack', { node: ctx.node }, `SSH to ${ctx.node} answers again`), { waitingFor: null });
      sshDownSinceMs = null;
    } catch (err) {
      // a dropped SSH connection mid-download is retried by the next poll; anything else stops the step
      if (!(err instanceof ApiError) || !SSH_TROUBLE.includes(err.kind)) throw err;
      if (sshDownSinceMs === null) {
        sshDownSinceMs = clock.nowMs();
        say(coded('update.sshWaiting', { node: ctx.node }, `Waiting for SSH to ${ctx.node} (${err.message})`), { waitingFor: 'ssh' });
      }
      ctx.ops.reconnect();
    }
    if (settled) return true;
    stillWaiting();
    return undefined;
  };
  // a cancel cuts the pause short; the next poll then says so, unless the update settled meanwhile
  const pause = { nowMs: () => clock.nowMs(), sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms, signal).catch(() => undefined) };

  const watching = ctx.ops.watch(consider, stop.signal).catch(() => undefined);
  try {
    await pollUntil(poll, { clock: pause, intervalMs: POLL_MS, signal: ctx.control.signal });
  } finally {
    stop.abort();
    ctx.control.signal.removeEventListener('abort', onCancel);
    await watching;
  }
  const result = settled as UpdateResult | ApiError;
  if (result instanceof ApiError) throw result;
  return result;
}

function updateFailed(node: string, what: string): ApiError {
  return new ApiError('update-failed', `The update on ${node} failed: ${what}. Read \`journalctl -u update-engine\` on the node for the reason.`, {
    node,
    hint: 'journalctl -u update-engine',
  });
}

/**
 * `--to-version`: flatcar-update stages exactly that release. Its `-update` blocks until update_engine is done;
 * meanwhile the -watch_for_updates stream shows the download as for any update.
 */
async function installExact(ctx: NodeCtx, version: string): Promise<UpdateResult> {
  const stop = new AbortController();
  let shown = '';
  const watching = ctx.ops
    .watch((s) => {
      const now = `${s.op}/${Math.floor(s.progress * 100)}`;
      if (now === shown) return;
      shown = now;
      const downloading = s.op === 'UPDATE_STATUS_DOWNLOADING';
      emitStep(ctx, 'update', 'progress', downloading ? `Downloading ${version}: ${percent(s.progress)}` : s.op, { detail: { op: s.op, progress: s.progress, newVersion: s.newVersion, newSize: s.newSize } });
      ctx.onRecord(ctx.rec, downloading ? s.progress : undefined);
    }, stop.signal)
    .catch(() => undefined);
  emitStep(ctx, 'update', 'progress', `Installing exactly ${version} on ${ctx.node} with flatcar-update --to-version (it fetches the payload and serves it to update_engine)`, { code: 'update.exact', params: { node: ctx.node, version } });
  try {
    await ctx.ops.installVersion(version, ctx.options.updateTimeoutSeconds * 1000, ctx.control.signal);
  } finally {
    stop.abort();
    await watching;
  }
  const after = await ctx.ops.status();
  if (after.op !== NEED_REBOOT) throw updateFailed(ctx.node, `flatcar-update ended but update_engine says ${after.op}`);
  return { kind: 'need-reboot', newVersion: version };
}

/** Step 2: pause FLUO for this node, make update-engine run, check, and follow it to NEED_REBOOT (or "current"). */
export async function updateStep(ctx: NodeCtx, ueFound: UnitState): Promise<UpdateResult> {
  return runStep(
    ctx,
    'update',
    coded('update.checking', { node: ctx.node }, `Checking ${ctx.node} for a Flatcar update`),
    async () => {
      if (ctx.rec.pinned !== undefined && ctx.rec.pinned === ctx.rec.fromVersion) return { kind: 'current' } as UpdateResult;
      if (ctx.rec.fluoPausedBefore === null) {
        const node = await ctx.deps.cluster.nodes.getNode(ctx.node);
        ctx.rec.fluoPausedBefore = await pauseFluo(ctx.deps.cluster.nodes, node);
        journalRecord(ctx);
      }
      // before update-engine runs: locksmithd would reboot the node the moment an update is staged
      await holdLocksmithd(ctx);
      await ensureUpdateEngineRunning(ctx, ueFound);
      // flatcar-update points SERVER at its own local service and puts the previous line back by itself
      if (ctx.rec.pinned === undefined) await liftServer(ctx);
      const before = await ctx.ops.status();
      // staged before this run: by an earlier run (which recorded the version) or by update_engine on its own
      if (before.op === NEED_REBOOT) {
        const staged = namedVersion(before.newVersion) ?? ctx.rec.toVersion;
        if (ctx.rec.pinned !== undefined && staged !== ctx.rec.pinned) {
          throw new ApiError('update-failed', `${ctx.node} already has an update to ${staged ?? 'a version update_engine no longer names'} staged, not ${ctx.rec.pinned}: discard it first (flatdeck rollback ${ctx.node} discards a staged update)`, { node: ctx.node, staged });
        }
        return { kind: 'need-reboot', newVersion: staged } as UpdateResult;
      }
      if (ctx.rec.pinned !== undefined) return installExact(ctx, ctx.rec.pinned);
      await ctx.ops.checkForUpdate();
      const deadline = ctx.deps.clock.nowMs() + ctx.options.updateTimeoutSeconds * 1000;
      return followUpdate(ctx, before.lastCheckedTime, deadline);
    },
    (r): StepOutcome => {
      if (r.kind === 'need-reboot') {
        ctx.rec.toVersion = r.newVersion;
        ctx.rec.staged = true;
        if (r.newVersion === null) {
          return { ...coded('update.stagedUnnamed', { node: ctx.node }, `${ctx.node}: an update is downloaded and applied, but update_engine no longer names its version (it restarted since); a reboot activates it, and the version it boots is read from /etc/os-release`), detail: { newVersion: null } };
        }
        return { ...coded('update.staged', { node: ctx.node, version: r.newVersion }, `${ctx.node}: ${r.newVersion} is downloaded and applied; a reboot activates it`), detail: { newVersion: r.newVersion } };
      }
      const current = ctx.rec.pinned !== undefined
        ? coded('update.pinnedCurrent', { node: ctx.node, version: ctx.rec.pinned }, `${ctx.node} already runs ${ctx.rec.pinned}`)
        : coded('update.current', { node: ctx.node, version: ctx.rec.fromVersion }, `${ctx.node} is already on the newest version (${ctx.rec.fromVersion ?? 'unknown'})`);
      return { ...current, detail: { current: true } };
    },
  );
}
