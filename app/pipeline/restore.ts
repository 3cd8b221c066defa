import { toErrorInfo } from '../api/errors.ts';
import { clearMarkPatch, restoreFluoPausePatch } from '../cluster/node-annotations.ts';
import { emitStep, journalRecord, type NodeCtx } from './run-context.ts';

/**
 * Puts update-engine back as the node had it (per setting) and FLUO's reboot-paused as it was, then clears
 * flatdeck's marks. After a reboot, re-masking waits until update-engine has had time to mark the new boot
 * good (~45 s after it starts), or the next boot would fall back to the old version.
 */
export async function restoreNode(ctx: NodeCtx, opts: { backAtMs: number | null; keepMarks?: boolean }): Promise<void> {
  const { clock, cluster } = ctx.deps;
  const original = ctx.rec.ueOriginal;
  if (original !== null && ctx.options.restoreUpdateEngine === 'restore') {
    const [file, active] = original.split(',');
    const wantStopped = active === 'inactive';
    const wantMasked = file === 'masked';
    if (wantStopped || wantMasked) {
      if (opts.backAtMs !== null) {
        const waitMs = opts.backAtMs + ctx.options.restoreAfterBootSeconds * 1000 - clock.nowMs();
        if (waitMs > 0) await clock.sleep(waitMs);
      }
      try {
        if (wantStopped) await ctx.ops.setUnit('update-engine.service', 'stop');
        if (wantMasked) await ctx.ops.setUnit('update-engine.service', 'mask');
        emitStep(ctx, 'release', 'progress', `update-engine on ${ctx.node} restored to ${original}`);
      } catch (err) {
        // reported, not fatal: the marks must still go, or the node would look busy to every later run
        emitStep(ctx, 'release', 'progress', `Could not restore update-engine on ${ctx.node} to ${original} (do it by hand: systemctl mask update-engine): ${toErrorInfo(err).message}`);
      }
    }
  }
  ctx.rec.ueOriginal = null;
  const annotations = {
    ...(opts.keepMarks ? {} : clearMarkPatch()),
    ...(ctx.rec.fluoPausedBefore !== null ? restoreFluoPausePatch(ctx.rec.fluoPausedBefore) : {}),
  };
  await cluster.nodes.mergePatchNode(ctx.node, { metadata: { annotations } });
  ctx.rec.fluoPausedBefore = null;
  journalRecord(ctx);
}
