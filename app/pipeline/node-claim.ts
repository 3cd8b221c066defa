import { ApiError } from '../api/errors.ts';
import { isConflict } from '../cluster/kube-status.ts';
import { markPatch, readMark, type NodeMark } from '../cluster/node-annotations.ts';
import { lockWaitLimitMs } from './cluster-lock.ts';
import { pollUntil, retry } from '../support/retry.ts';
import type { UpdateOptions } from '../api/pipeline.ts';
import { emitStep, journalRecord, type NodeCtx, type PipelineDeps } from './run-context.ts';

/**
 * The per-node claim: flatdeck's mark on the Node, written with the resourceVersion it was read at, so of two
 * runs that want the same node exactly one gets it (the other's patch is answered 409 and it looks again).
 * A run claims a node before it changes anything on it and gives the claim up only when it is done with it,
 * so whatever it changed (update-engine, FLUO's pause) is put back by the run that changed it, and by no other.
 */
export type Claim = { claimed: true } | { claimed: false; holder: NodeMark };

/**
 * Whether the run that wrote `mark` still holds its claim: it renews the claim while it runs (keepClaimsAlive),
 * so a claim silent for longer than its holder's Lease duration belongs to a run that is gone (kill -9, a lost
 * machine). A mark without a renewal time (written by an older flatdeck) counts as held, as before.
 */
export function claimIsLive(mark: NodeMark, nowMs: number): boolean {
  if (mark.attention) return false;
  const renewed = mark.renewed === null ? NaN : Date.parse(mark.renewed);
  const seconds = Number(mark.claimSeconds);
  if (!Number.isFinite(renewed) || !Number.isFinite(seconds)) return true;
  return nowMs < renewed + seconds * 1000;
}

const renewal = (nowMs: number, leaseDurationSeconds: number) => ({ renewed: new Date(nowMs).toISOString(), claimSeconds: String(leaseDurationSeconds) });

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
      if (mark && mark.run !== ctx.runId && claimIsLive(mark, ctx.deps.clock.nowMs())) return { claimed: false, holder: mark };
      if (mark && mark.run !== ctx.runId) {
        // a stopped or abandoned run: this run becomes the owner, with the originals that run recorded
        takeOver(ctx, mark);
        if (!mark.attention) emitStep(ctx, 'update', 'progress', `${ctx.node} was claimed by flatdeck run ${mark.run} of ${mark.instance}, which stopped renewing its claim (last ${mark.renewed}); this run takes the node over with the originals that run recorded`);
      }
      const claim = markPatch({
        instance: ctx.deps.holder,
        run: ctx.runId,
        step: 'update',
        since: new Date(ctx.deps.clock.nowMs()).toISOString(),
        ...renewal(ctx.deps.clock.nowMs(), ctx.options.leaseDurationSeconds),
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
      const { instance, run, step, since } = c.holder;
      ctx.control.setWaiting(
        `node ${ctx.node} is being updated by ${instance} (run ${run}, step ${step} since ${since}); if that run is gone, \`flatdeck resume ${run}\` continues it and \`--hand-back\` gives the node back`,
        { code: 'nodeClaimed', params: { node: ctx.node, instance, run, step, since } },
      );
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

/**
 * Renews the claims run `runId` holds on `nodes` every third of its Lease duration until `signal` aborts, so
 * other instances can tell it is alive. Each renewal is written only while the Node's mark is still this run's
 * (resourceVersion precondition); a failed renewal is retried at the next tick.
 */
export async function keepClaimsAlive(deps: PipelineDeps, runId: string, nodes: readonly string[], options: Pick<UpdateOptions, 'leaseDurationSeconds'>, signal: AbortSignal): Promise<void> {
  for (;;) {
    const slept = await deps.clock.sleep((options.leaseDurationSeconds * 1000) / 3, signal).then(() => true, () => false);
    if (!slept) return;
    await Promise.all(
      nodes.map(async (name) => {
        const node = await deps.cluster.nodes.getNode(name);
        if (readMark(node)?.run !== runId) return;
        await deps.cluster.nodes.mergePatchNode(name, { metadata: { resourceVersion: node.metadata?.resourceVersion, annotations: markPatch(renewal(deps.clock.nowMs(), options.leaseDurationSeconds)) } });
      }).map((p) => p.catch(() => undefined)),
    );
  }
}
