import { ApiError } from '../api/errors.ts';
import { isConflict } from '../cluster/kube-status.ts';
import { markPatch, readMark, type NodeMark } from '../cluster/node-annotations.ts';
import { lockWaitLimitMs } from './cluster-lock.ts';
import { pollUntil, retry } from '../support/retry.ts';
import { journalRecord, type NodeCtx } from './run-context.ts';

/**
 * The per-node claim: flatdeck's mark on the Node, written with the resourceVersion it was read at, so of two
 * runs that want the same node exactly one gets it (the other's patch is answered 409 and it looks again).
 * A run claims a node before it changes anything on it and gives the claim up only when it is done with it,
 * so whatever it changed (update-engine, FLUO's pause) is put back by the run that changed it, and by no other.
 */
export type Claim = { claimed: true } | { claimed: false; holder: NodeMark };

/**
 * A mark that needs attention belongs to a run that stopped: its originals are the node's true originals
 * (captured before anyone touched it), so the new owner takes them over instead of reading the changed state.
 */
function takeOver(ctx: NodeCtx, left: NodeMark): void {
  ctx.rec.ueOriginal ??= left.ueOriginal;
  ctx.rec.lsOriginal ??= left.lsOriginal;
  ctx.rec.serverLifted ||= left.serverLifted;
  ctx.rec.fluoPausedBefore ??= left.fluoPausedBefore;
  ctx.rec.cordonedByUs ||= left.cordonedByUs;
}

export async function claimNode(ctx: NodeCtx): Promise<Claim> {
  const { nodes } = ctx.deps.cluster;
  return retry(
    async (): Promise<Claim> => {
      const node = await nodes.getNode(ctx.node);
      const mark = readMark(node);
      if (mark && mark.run !== ctx.runId && !mark.attention) return { claimed: false, holder: mark };
      if (mark && mark.run !== ctx.runId) takeOver(ctx, mark);
      const claim = markPatch({
        instance: ctx.deps.holder,
        run: ctx.runId,
        step: 'update',
        since: new Date(ctx.deps.clock.nowMs()).toISOString(),
        attention: null,
        ueOriginal: ctx.rec.ueOriginal,
        lsOriginal: ctx.rec.lsOriginal ?? null,
        serverLifted: ctx.rec.serverLifted === true,
        fluoPausedBefore: ctx.rec.fluoPausedBefore,
        cordonedByUs: ctx.rec.cordonedByUs,
      });
      await nodes.mergePatchNode(ctx.node, { metadata: { resourceVersion: node.metadata?.resourceVersion, annotations: claim } });
      journalRecord(ctx);
      return { claimed: true };
    },
    { clock: ctx.deps.clock, backoff: { initialMs: 50, maxMs: 1000, jitter: true }, retryable: isConflict, maxAttempts: 10 },
  );
}

/**
 * Claims the node, waiting while another run holds it (at most one whole node cycle of theirs). Returns
 * whether it had to wait: the node may then have been updated meanwhile.
 */
export async function claimWhenFree(ctx: NodeCtx): Promise<boolean> {
  let holder: NodeMark | null = null;
  const clock = ctx.deps.clock;
  const outcome = await pollUntil(
    async () => {
      const c = await claimNode(ctx);
      if (c.claimed) return true;
      holder = c.holder;
      ctx.control.setWaiting(`node ${ctx.node} is being updated by ${c.holder.instance} (run ${c.holder.run}, step ${c.holder.step} since ${c.holder.since}); if that run is gone, \`flatdeck resume ${c.holder.run}\` continues it and \`--hand-back\` gives the node back`);
      return undefined;
    },
    { clock, intervalMs: 1000, deadlineMs: clock.nowMs() + lockWaitLimitMs(ctx.options), signal: ctx.control.signal },
  );
  if (holder) ctx.control.setWaiting(null);
  if (outcome.timedOut) {
    const h = holder as NodeMark | null;
    throw new ApiError('lock-held', `Node ${ctx.node} stayed claimed by flatdeck run ${h?.run ?? '?'} of ${h?.instance ?? '?'}; if that run is gone, continue it with \`flatdeck resume ${h?.run ?? ''}\` or hand it back`, { node: ctx.node });
  }
  return holder !== null;
}
