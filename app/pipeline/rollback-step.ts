import { ApiError } from '../api/errors.ts';
import { planRollback, type RollbackPlan } from '../flatcar/usr-partitions.ts';
import type { PipelineStep } from '../api/pipeline.ts';
import { coded, emitStep, journalRecord, runStep, type NodeCtx, type StepOutcome } from './run-context.ts';

/**
 * Right before the lock is used and again right before the reboot: the other partition still holds the release
 * we roll back to and boots next. update_engine runs flatcar-setgoodroot once per start (45 s after it starts, or
 * at its first check), which prioritizes the booted partition again and would silently undo the rollback; then
 * the other partition is prioritized once more (the timer does not fire twice).
 */
export async function ensureRollbackBootsNext(ctx: NodeCtx, step: PipelineStep): Promise<void> {
  const usr = await ctx.ops.usrPartitions();
  if (usr.other.version !== ctx.rec.toVersion || !usr.other.successful) {
    throw new ApiError('update-failed', `${ctx.node}'s other USR partition (${usr.other.label}) now holds ${usr.other.version ?? 'no release'}${usr.other.successful ? '' : ' not marked successful'}, not the ${ctx.rec.toVersion ?? 'release'} this rollback was for; not rebooting`, { node: ctx.node, found: usr.other.version });
  }
  if (usr.nextBoot === 'other') return;
  emitStep(ctx, step, 'progress', `${ctx.node}: update_engine made the booted partition ${usr.booted.label} boot first again (flatcar-setgoodroot); prioritizing ${usr.other.label} (${usr.other.version}) again`);
  await ctx.ops.prioritizeUsr(usr.other.device);
}

export type RollbackResult = { kind: 'need-reboot'; version: string } | { kind: 'discarded'; version: string | null };

/**
 * Step 2 of a rollback, in place of the download: Flatcar's manual rollback (manual-rollbacks.md). The other USR
 * partition is made to boot next with `cgpt prioritize`; the serial part then drains, reboots and verifies the
 * node on that version. An update staged there but never booted is discarded instead (flatcar-setgoodroot and
 * `-reset_status`): the node already runs the version it came from, so nothing reboots.
 */
export async function rollbackStep(ctx: NodeCtx): Promise<RollbackResult> {
  return runStep(
    ctx,
    'update',
    coded('rollback.reading', { node: ctx.node }, `Reading the USR partitions of ${ctx.node} (cgpt)`),
    async (): Promise<RollbackResult> => {
      const plan: RollbackPlan = planRollback(await ctx.ops.usrPartitions());
      if (plan.kind === 'impossible') throw new ApiError('invalid-request', `${ctx.node} cannot be rolled back: ${plan.reason}`, { node: ctx.node });
      if (plan.kind === 'discard-staged') {
        await ctx.ops.discardStagedUpdate();
        return { kind: 'discarded', version: plan.version };
      }
      if (!plan.alreadyPrioritized) await ctx.ops.prioritizeUsr(plan.device);
      ctx.rec.toVersion = plan.version;
      ctx.rec.staged = true;
      journalRecord(ctx);
      return { kind: 'need-reboot', version: plan.version };
    },
    (r): StepOutcome =>
      r.kind === 'discarded'
        ? {
          ...coded('rollback.discarded', { node: ctx.node, version: r.version, current: ctx.rec.fromVersion }, `${ctx.node}: the update to ${r.version ?? 'a version update_engine no longer names'} staged on the other partition was discarded; it keeps booting ${ctx.rec.fromVersion ?? 'its current version'}, no reboot needed`),
          detail: { discarded: r.version },
        }
        : { ...coded('rollback.prioritized', { node: ctx.node, version: r.version }, `${ctx.node}: ${r.version} on the other USR partition boots next (cgpt prioritize); a reboot activates it`), detail: { newVersion: r.version } },
  );
}
