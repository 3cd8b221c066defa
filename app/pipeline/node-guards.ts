import { writeMark } from '../cluster/node-annotations.ts';
import { liftServerDisabled, restoreLiftedServer, LIFTED_PREFIX } from '../flatcar/update-conf.ts';
import { tidy } from './restore.ts';
import { attentionNote, emitStep, journalRecord, type NodeCtx } from './run-context.ts';
import type { UnitState } from './ports.ts';

/**
 * What on a node would work against a manual update, held for the run and put back after it:
 *
 * - locksmithd (running on stock Flatcar, strategy `reboot` when unset) reboots the node the moment update_engine
 *   stages an update, with no drain, and at once when it starts on an already staged node (flatcar/locksmith
 *   locksmithctl/daemon.go). flatdeck masks it in /run (`systemctl mask --runtime`) and stops it: nothing can start
 *   it again, not even an operator's restart, and the mask lives in a tmpfs, so the first boot after flatdeck's
 *   drained reboot, or any reboot after a crash of flatdeck, brings locksmithd back as the image starts it. The
 *   original goes on the Node's mark before anything changes, for resume and hand-back.
 * - `SERVER=disabled` in /etc/flatcar/update.conf (auto-update off in its server-disabled form) makes every check
 *   fail (omaha_request_params.cc: update_engine posts to SERVER). flatdeck comments the line out for the run and
 *   puts exactly it back afterwards, each time with an atomic rewrite; a crash leaves a file that says what was
 *   lifted, and the mark says so too.
 */

const LOCKSMITHD = 'locksmithd.service';
const IDLE = 'UPDATE_STATUS_IDLE';

/** A unit's state as `file,active` (e.g. `disabled,active`), as the marks record it. */
export const unitWord = (u: UnitState) => `${u.file},${u.active ? 'active' : 'inactive'}`;
export const locksmithdHeld = (u: UnitState): boolean => u.file === 'masked' || u.file === 'masked-runtime';

/** What pre-flight says about locksmithd: what it found and what the update will do with it. */
export function locksmithdPlan(found: UnitState): string {
  if (locksmithdHeld(found)) return `locksmithd is ${unitWord(found)}: it cannot reboot the node`;
  return `locksmithd is ${unitWord(found)}: it would reboot the node without a drain once the update is staged, so flatdeck holds it for the update (systemctl mask --runtime, stop) and puts it back afterwards; any reboot lifts the hold`;
}

export async function holdLocksmithd(ctx: NodeCtx): Promise<void> {
  const found = await ctx.ops.unitState(LOCKSMITHD);
  if (locksmithdHeld(found)) return;
  if ((ctx.rec.lsOriginal ?? null) === null) {
    ctx.rec.lsOriginal = unitWord(found);
    await writeMark(ctx.deps.cluster.nodes, ctx.node, { lsOriginal: ctx.rec.lsOriginal });
    journalRecord(ctx);
  }
  await ctx.ops.setUnit(LOCKSMITHD, 'mask-runtime');
  // also when it is not active: a unit waiting for its Restart= would come back
  await ctx.ops.setUnit(LOCKSMITHD, 'stop');
  emitStep(ctx, 'update', 'progress', `locksmithd on ${ctx.node} held for the update (was ${ctx.rec.lsOriginal}): it cannot reboot the node before flatdeck drains it`, {
    code: 'update.locksmithdHeld',
    params: { node: ctx.node, was: ctx.rec.lsOriginal ?? null },
    detail: { locksmithd: 'held' },
  });
}

/**
 * Puts locksmithd back as it was found, unless update_engine has an update staged or in progress: locksmithd
 * would reboot the node at once, undrained. Then the hold stays until the node's next boot, which ends it.
 */
export async function releaseLocksmithd(ctx: NodeCtx): Promise<void> {
  const original = ctx.rec.lsOriginal ?? null;
  if (original === null) return;
  const wasActive = original.endsWith(',active');
  const byHand = `sudo systemctl unmask --runtime ${LOCKSMITHD}${wasActive ? ` && sudo systemctl start ${LOCKSMITHD}` : ''}`;
  let outcome = '';
  const what = attentionNote('cleanup.locksmithd', { node: ctx.node, original, byHand }, `Putting locksmithd on ${ctx.node} back to ${original} (by hand, once no update is staged: ${byHand})`);
  const done = await tidy(ctx, 'release', what, async () => {
    const now = await ctx.ops.unitState(LOCKSMITHD);
    if (!locksmithdHeld(now)) {
      outcome = `locksmithd on ${ctx.node} is ${unitWord(now)} again (the reboot ended the hold)`;
      return;
    }
    const ue = (await ctx.ops.unitState('update-engine.service')).active ? (await ctx.ops.status()).op : IDLE;
    if (ue !== IDLE) {
      outcome = `locksmithd on ${ctx.node} stays held until its next boot: update_engine is at ${ue}, and locksmithd would reboot it at once without a drain`;
      return;
    }
    if (now.file === 'masked-runtime') await ctx.ops.setUnit(LOCKSMITHD, 'unmask-runtime');
    if (wasActive) await ctx.ops.setUnit(LOCKSMITHD, 'start');
    outcome = `locksmithd on ${ctx.node} put back to ${original}`;
  });
  if (!done) return;
  ctx.rec.lsOriginal = null;
  emitStep(ctx, 'release', 'progress', outcome, { detail: { locksmithd: 'released' } });
}

/** Lifts SERVER=disabled for the run, if /etc/flatcar/update.conf has it; the mark says so before the file changes. */
export async function liftServer(ctx: NodeCtx): Promise<void> {
  const lifted = liftServerDisabled(await ctx.ops.updateConf('etc'));
  if (lifted === null) return;
  if (!ctx.rec.serverLifted) {
    ctx.rec.serverLifted = true;
    await writeMark(ctx.deps.cluster.nodes, ctx.node, { serverLifted: true });
    journalRecord(ctx);
  }
  await ctx.ops.writeUpdateConf(lifted);
  emitStep(ctx, 'update', 'progress', `SERVER=disabled in /etc/flatcar/update.conf on ${ctx.node} lifted for this update (commented out); it is put back afterwards`, { code: 'update.serverLifted', params: { node: ctx.node }, detail: { server: 'lifted' } });
}

export async function restoreServer(ctx: NodeCtx): Promise<void> {
  if (!ctx.rec.serverLifted) return;
  const what = attentionNote('cleanup.server', { node: ctx.node, prefix: LIFTED_PREFIX }, `Putting SERVER=disabled back into /etc/flatcar/update.conf on ${ctx.node} (by hand: remove the "${LIFTED_PREFIX}" in front of its line)`);
  const done = await tidy(ctx, 'release', what, async () => {
    const restored = restoreLiftedServer(await ctx.ops.updateConf('etc'));
    if (restored !== null) await ctx.ops.writeUpdateConf(restored);
  });
  if (!done) return;
  ctx.rec.serverLifted = false;
  emitStep(ctx, 'release', 'progress', `SERVER=disabled is back in /etc/flatcar/update.conf on ${ctx.node}`, { code: 'release.serverRestored', params: { node: ctx.node }, detail: { server: 'restored' } });
}
