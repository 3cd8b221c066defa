import { ApiError } from '../api/errors.ts';
import { pauseFluo } from '../cluster/node-annotations.ts';
import { emitStep, journalRecord, runStep, type NodeCtx, type StepOutcome } from './run-context.ts';
import type { UeStatus, UnitState } from './ports.ts';

const NEED_REBOOT = 'UPDATE_STATUS_UPDATED_NEED_REBOOT';
const IDLE = 'UPDATE_STATUS_IDLE';
const ERROR_EVENT = 'UPDATE_STATUS_REPORTING_ERROR_EVENT';
const POLL_MS = 1000;

export type UpdateResult = { kind: 'need-reboot'; newVersion: string } | { kind: 'current' };

/** Makes update-engine runnable, remembering exactly how it was so it can be put back. */
async function ensureUpdateEngineRunning(ctx: NodeCtx, found: UnitState): Promise<void> {
  if (ctx.rec.ueOriginal === null) {
    ctx.rec.ueOriginal = `${found.file},${found.active ? 'active' : 'inactive'}`;
    journalRecord(ctx);
  }
  if (found.file === 'masked') await ctx.ops.setUnit('update-engine.service', 'unmask');
  if (!found.active) await ctx.ops.setUnit('update-engine.service', 'start');
}

/**
 * Follows update_engine until it settles. The -watch_for_updates stream gives every transition; -status
 * polling every second covers a stream that never starts or drops. IDLE only means "current" once a check
 * succeeded after ours was issued (LAST_CHECKED_TIME moved): a failed check also ends in IDLE.
 */
async function followUpdate(ctx: NodeCtx, checkedBefore: number, deadline: number): Promise<UpdateResult> {
  const { clock } = ctx.deps;
  const stop = new AbortController();
  const onCancel = () => stop.abort();
  ctx.control.signal.addEventListener('abort', onCancel, { once: true });
  let sawError = false;
  let sawActivity = false;
  let lastOp = '';
  let lastProgress = -1;
  let settled: UpdateResult | ApiError | null = null;

  const consider = (s: UeStatus) => {
    if (settled) return;
    if (s.op !== lastOp || Math.abs(s.progress - lastProgress) >= 0.01) {
      lastOp = s.op;
      lastProgress = s.progress;
      emitStep(ctx, 'update', 'progress', s.op === 'UPDATE_STATUS_DOWNLOADING' ? `Downloading ${s.newVersion}: ${Math.round(s.progress * 100)} %` : s.op, {
        detail: { op: s.op, progress: s.progress, newVersion: s.newVersion, newSize: s.newSize },
      });
      ctx.onRecord(ctx.rec, s.op === 'UPDATE_STATUS_DOWNLOADING' ? s.progress : undefined);
    }
    if (s.op === NEED_REBOOT) settled = { kind: 'need-reboot', newVersion: s.newVersion };
    else if (s.op === ERROR_EVENT) sawError = true;
    else if (s.op === IDLE) {
      if (sawError) settled = updateFailed(ctx.node, 'update_engine reported an error');
      else if (s.lastCheckedTime > checkedBefore) settled = { kind: 'current' };
      else if (sawActivity) settled = updateFailed(ctx.node, 'the update check ended without success');
    } else sawActivity = true;
  };

  const watching = ctx.ops.watch(consider, stop.signal).catch(() => undefined);
  try {
    while (!settled) {
      if (ctx.control.isCancelled) throw new ApiError('cancelled', 'The run was cancelled by the operator');
      if (clock.nowMs() > deadline) {
        throw new ApiError('update-failed', `update_engine on ${ctx.node} did not finish within ${ctx.options.updateTimeoutSeconds} s (last state ${lastOp || 'unknown'}); see journalctl -u update-engine`, {
          node: ctx.node,
          lastOp,
        });
      }
      try {
        consider(await ctx.ops.status());
      } catch (err) {
        // a dropped SSH connection mid-download is retried by the next poll; anything else stops the step
        if (!(err instanceof ApiError) || !['ssh-disconnected', 'ssh-timeout', 'ssh-unreachable'].includes(err.kind)) throw err;
        ctx.ops.reconnect();
      }
      if (!settled) await clock.sleep(POLL_MS, ctx.control.signal).catch(() => undefined);
    }
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

/** Step 2: pause FLUO for this node, make update-engine run, check, and follow it to NEED_REBOOT (or "current"). */
export async function updateStep(ctx: NodeCtx, ueFound: UnitState): Promise<UpdateResult> {
  return runStep(
    ctx,
    'update',
    `Checking ${ctx.node} for a Flatcar update`,
    async () => {
      if (ctx.rec.fluoPausedBefore === null) {
        const node = await ctx.deps.cluster.nodes.getNode(ctx.node);
        ctx.rec.fluoPausedBefore = await pauseFluo(ctx.deps.cluster.nodes, node);
        journalRecord(ctx);
      }
      await ensureUpdateEngineRunning(ctx, ueFound);
      const before = await ctx.ops.status();
      if (before.op === NEED_REBOOT) return { kind: 'need-reboot', newVersion: before.newVersion } as UpdateResult;
      await ctx.ops.checkForUpdate();
      const deadline = ctx.deps.clock.nowMs() + ctx.options.updateTimeoutSeconds * 1000;
      return followUpdate(ctx, before.lastCheckedTime, deadline);
    },
    (r): StepOutcome => {
      if (r.kind === 'need-reboot') {
        ctx.rec.toVersion = r.newVersion;
        return { message: `${ctx.node}: ${r.newVersion} is downloaded and applied; a reboot activates it`, detail: { newVersion: r.newVersion } };
      }
      return { message: `${ctx.node} is already on the newest version (${ctx.rec.fromVersion ?? 'unknown'})`, detail: { current: true } };
    },
  );
}
