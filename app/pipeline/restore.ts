import { toErrorInfo } from '../api/errors.ts';
import type { PipelineStep } from '../api/pipeline.ts';
import { clearMarkPatch, markPatch, restoreFluoPausePatch, writeMark } from '../cluster/node-annotations.ts';
import { releaseLocksmithd, restoreServer } from './node-guards.ts';
import type { AttentionNote } from '../api/notes.ts';
import { attentionNote, emitStep, journalRecord, type NodeCtx } from './run-context.ts';

/**
 * One cleanup action. A failure is never dropped: it becomes a needs-attention record on the node saying what
 * is left to do by hand. Returns whether the action happened.
 */
export async function tidy(ctx: NodeCtx, step: PipelineStep, what: AttentionNote, action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (err) {
    const error = toErrorInfo(err).message;
    await ctx.needsAttention(step, attentionNote(what.code, { ...what.params, error }, `${what.message} failed (${error})`));
    return false;
  }
}

/** Discarding an update staged on `node`, with what to run by hand should it fail. */
export const discardingStaged = (node: string, version: string): AttentionNote =>
  attentionNote('cleanup.discardStaged', { node, version }, `Discarding the update to ${version} staged on ${node} (by hand: sudo flatcar-setgoodroot && sudo update_engine_client -reset_status)`);

/**
 * The version update_engine has staged for the next boot (it says NEED_REBOOT), or null; undefined when the node
 * cannot be asked. It may have finished a download after the run stopped following it.
 */
async function askStaged(ctx: NodeCtx): Promise<string | null | undefined> {
  try {
    const s = await ctx.ops.status();
    return s.op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT' ? (ctx.rec.toVersion ?? s.newVersion) : null;
  } catch {
    return undefined;
  }
}

/** A node that cannot be asked is taken as not staged: the caller then restores as before, and a failure there is recorded. */
const stagedUpdate = async (ctx: NodeCtx): Promise<string | null> => (await askStaged(ctx)) ?? null;

/**
 * Writes on the Node the version its next boot starts (flatdeck.io/staged-version), so every instance shows it
 * until that boot, a discard, or the next run's end.
 */
export async function recordStaged(ctx: NodeCtx, version: string): Promise<void> {
  await tidy(ctx, 'release', attentionNote('cleanup.recordStaged', { node: ctx.node, version }, `Recording on ${ctx.node} that it boots ${version} at its next reboot`), () => writeMark(ctx.deps.cluster.nodes, ctx.node, { stagedVersion: version }));
}

/**
 * What a hand-back does about an update staged on the node: discards it when the operator chose `discard`,
 * else leaves it staged. Returns the version the node still boots next (the caller keeps it on the Node), or
 * null. A node that cannot be asked keeps what the run knew: a staged update never loses its record.
 */
export async function stagedAtHandBack(ctx: NodeCtx): Promise<string | null> {
  const staged = await askStaged(ctx);
  if (staged === undefined) return (ctx.rec.toVersion !== null || ctx.rec.staged === true) && ctx.rec.rebootIssuedAt === null ? (ctx.rec.toVersion ?? 'unknown') : null;
  if (staged === null || ctx.options.stagedUpdateOnStop !== 'discard') return staged;
  const discarded = await tidy(ctx, 'release', discardingStaged(ctx.node, staged), () => ctx.ops.discardStagedUpdate());
  if (!discarded) return staged;
  emitStep(ctx, 'release', 'progress', `${ctx.node} keeps booting ${ctx.rec.fromVersion ?? 'its current version'}: the update to ${staged} was discarded (hand-back)`);
  ctx.rec.toVersion = null;
  ctx.rec.staged = false;
  return null;
}

/**
 * Puts update-engine back as the node had it (per setting). After a reboot, re-masking waits until
 * update-engine has had time to mark the new boot good (~45 s after it starts), or the next boot would fall
 * back to the old version. Returns false when it could not, leaving `ueOriginal` for a later hand-back.
 */
async function restoreUpdateEngine(ctx: NodeCtx, backAtMs: number | null): Promise<boolean> {
  const original = ctx.rec.ueOriginal;
  if (original === null || ctx.options.restoreUpdateEngine !== 'restore') return true;
  const [file, active] = original.split(',');
  const wantStopped = active === 'inactive';
  const wantMasked = file === 'masked';
  if (wantStopped || wantMasked) {
    const { clock } = ctx.deps;
    if (backAtMs !== null) {
      const waitMs = backAtMs + ctx.options.restoreAfterBootSeconds * 1000 - clock.nowMs();
      const waited = waitMs <= 0 || (await clock.sleep(waitMs, ctx.control.signal).then(() => true, () => false));
      if (!waited) {
        // masking now would keep update-engine from marking the new boot good: the next reboot would roll back
        await ctx.needsAttention('release', attentionNote('updateEngineLeftRunning', { node: ctx.node }, `update-engine on ${ctx.node} was left running (cancelled before it marked the new boot good); mask it again a minute after boot if you want it off`));
        return false;
      }
    }
    const staged = await stagedUpdate(ctx);
    if (staged !== null) {
      // stopped now, update-engine would never mark that boot good: the boot after it would roll back
      ctx.rec.toVersion ??= staged;
      await recordStaged(ctx, staged);
      await ctx.needsAttention('release', attentionNote('stagedAfterStop', { node: ctx.node, version: staged }, `boots ${staged} at its next reboot: update_engine staged it after the run stopped following it; update-engine stays running so it can mark that boot good`));
      return false;
    }
    const byHand = `sudo systemctl ${wantMasked ? 'mask --now' : 'stop'} update-engine`;
    const what = attentionNote('cleanup.updateEngine', { node: ctx.node, original, byHand }, `Restoring update-engine on ${ctx.node} to ${original} (do it by hand: ${byHand})`);
    const restored = await tidy(ctx, 'release', what, async () => {
      if (wantStopped) await ctx.ops.setUnit('update-engine.service', 'stop');
      if (wantMasked) await ctx.ops.setUnit('update-engine.service', 'mask');
    });
    if (!restored) return false;
    emitStep(ctx, 'release', 'progress', `update-engine on ${ctx.node} restored to ${original}`);
  }
  ctx.rec.ueOriginal = null;
  return true;
}

/**
 * After a boot the run saw come back (`backAtMs`), its USR partition is made the one that boots from now on
 * (flatcar-setgoodroot, what update_engine itself runs ~45 s after it starts). Until then GRUB has spent the new
 * partition's only try, so any reboot in that window (a crash, an operator, update-engine masked again) would
 * fall back to the version the node came from. Left alone when update_engine has staged something since that
 * boot: marking the booted partition good would silently discard that update.
 */
async function keepBootedVersion(ctx: NodeCtx): Promise<void> {
  if (ctx.rec.action === 'reboot') return;
  const ueRunning = await ctx.ops.unitState('update-engine.service').then((u) => u.active, () => true);
  if (ueRunning && (await askStaged(ctx)) !== null) return;
  await tidy(ctx, 'release', attentionNote('cleanup.markBootGood', { node: ctx.node }, `Marking the boot of ${ctx.node} good (do it by hand: sudo flatcar-setgoodroot)`), () => ctx.ops.markBootedGood());
}

/**
 * Puts locksmithd, SERVER=, update-engine and FLUO's reboot-paused back as they were, then clears flatdeck's marks, unless the
 * node needs attention: then the marks stay, so every instance keeps seeing it.
 */
export async function restoreNode(ctx: NodeCtx, opts: { backAtMs: number | null; keepMarks?: boolean; leaveUpdateEngine?: boolean }): Promise<void> {
  if (opts.backAtMs !== null) await keepBootedVersion(ctx);
  // a staged update (update-engine left running) keeps locksmithd held until the boot that activates it
  if (!opts.leaveUpdateEngine) await releaseLocksmithd(ctx);
  await restoreServer(ctx);
  if (!opts.leaveUpdateEngine) await restoreUpdateEngine(ctx, opts.backAtMs);
  const keepMarks = opts.keepMarks || ctx.rec.phase === 'needs-attention';
  const fluoBefore = ctx.rec.fluoPausedBefore;
  const fluo = fluoBefore === null ? {} : { ...restoreFluoPausePatch(fluoBefore), ...markPatch({ fluoPausedBefore: null }) };
  const annotations = { ...(keepMarks ? {} : clearMarkPatch()), ...fluo };
  if (Object.keys(annotations).length > 0) {
    const what =
      fluoBefore !== null
        ? attentionNote('cleanup.fluoPause', { node: ctx.node, value: fluoBefore }, `Putting FLUO's reboot-paused on ${ctx.node} back to ${fluoBefore}`)
        : attentionNote('cleanup.clearMarks', { node: ctx.node }, `Clearing flatdeck's marks on ${ctx.node}`);
    if (await tidy(ctx, 'release', what, () => ctx.deps.cluster.nodes.mergePatchNode(ctx.node, { metadata: { annotations } }))) ctx.rec.fluoPausedBefore = null;
  }
  journalRecord(ctx);
}
