import { ApiError, toErrorInfo } from '../api/errors.ts';
import type { HealthGate, PipelineStep } from '../api/pipeline.ts';
import { uncordonIfOurs } from '../cluster/cordon.ts';
import { writeMark } from '../cluster/node-annotations.ts';
import type { ClusterLock } from './cluster-lock.ts';
import { claimWhenFree } from './node-claim.ts';
import { preflight, preflightError, type PreflightFacts } from './preflight.ts';
import { discardingStaged, recordStaged, restoreNode, tidy } from './restore.ts';
import { attentionNote, coded, emitStep, journalRecord, runStep, type NodeCtx } from './run-context.ts';
import { cordonStep, drainStep, lockStep, rebootStep, releaseStep, settleStep, uncordonStep, verifyStep } from './serial-steps.ts';
import { rollbackStep } from './rollback-step.ts';
import { rebootRequiredStep } from './ubuntu-reboot-step.ts';
import { updateStep } from './update-step.ts';

/**
 * One node's update, top to bottom as an operator would do it by hand. Split in the part that may run on
 * several nodes at once (pre-flight, download) and the part that runs one node at a time cluster-wide.
 */

const readyMessage = (node: string, version: string | null, count: number) =>
  coded('preflight.ready', { node, version, count }, `${node} is ready for the update (on ${version}, ${count} pods to move)`);

/** Step 1. Throws (with the blockers listed in the event) when anything would stop the update later. */
export async function preflightStep(ctx: NodeCtx): Promise<PreflightFacts> {
  return runStep(
    ctx,
    'preflight',
    coded('preflight.started', { node: ctx.node }, `Pre-flight checks on ${ctx.node}`),
    async () => {
      const facts = await preflight(ctx.deps.clusterId, ctx.node, ctx.deps.cluster, ctx.ops, ctx.options, new Date(ctx.deps.clock.nowMs()), ctx.runId, ctx.rec.action);
      for (const { rule, verdict } of facts.checks) {
        if (verdict.ok) emitStep(ctx, 'preflight', 'progress', `OK: ${verdict.reason}`, { detail: { check: rule } });
        for (const b of verdict.ok ? [] : verdict.blockers) {
          emitStep(ctx, 'preflight', 'progress', `${b.severity === 'warning' ? 'Warning' : 'Blocker'}: ${b.message}`, { detail: { check: rule, kind: b.kind, severity: b.severity, pod: b.pod, pdb: b.pdb } });
        }
      }
      if (!facts.report.ok) throw preflightError(facts.report);
      ctx.rec.fromVersion ??= facts.report.versionId;
      return facts;
    },
    (f) => ({ ...readyMessage(ctx.node, f.report.versionId, f.report.pods.filter((p) => !p.action.startsWith('skip')).length), detail: { versionId: f.report.versionId, bootId: f.report.bootId, updateEngine: f.report.updateEngineUnit } }),
  );
}

/**
 * Step 2 on a node that passed pre-flight: claim it, note how update-engine is before touching it (once: a
 * node another run left keeps that run's originals), then download. "current" nodes are finished here.
 */
export async function prepareNode(ctx: NodeCtx): Promise<'need-reboot' | 'current'> {
  ctx.rec.phase = 'downloading';
  if (await claimWhenFree(ctx)) {
    // the other run may have updated it meanwhile; we changed nothing on it, so there is nothing to put back
    ctx.ops.reconnect();
    if ((await ctx.ops.versionId()) !== ctx.rec.fromVersion) {
      await finishNode(ctx, 'current', ctx.deps.clock.nowMs());
      return 'current';
    }
  }
  if (ctx.rec.action === 'rollback') return prepareRollback(ctx);
  if (ctx.rec.action === 'reboot') return prepareReboot(ctx);
  const ue = await ctx.ops.unitState('update-engine.service');
  if (ctx.rec.ueOriginal === null) {
    ctx.rec.ueOriginal = `${ue.file},${ue.active ? 'active' : 'inactive'}`;
    await writeMark(ctx.deps.cluster.nodes, ctx.node, { ueOriginal: ctx.rec.ueOriginal });
    journalRecord(ctx);
  }
  const r = await updateStep(ctx, ue);
  if (r.kind === 'current') {
    await finishNode(ctx, 'current', null);
    return 'current';
  }
  ctx.rec.phase = 'ready-to-reboot';
  journalRecord(ctx);
  return 'need-reboot';
}

/** A rollback touches neither update-engine nor locksmithd: only the GPT priorities, then the serial part. */
async function prepareRollback(ctx: NodeCtx): Promise<'need-reboot' | 'current'> {
  const r = await rollbackStep(ctx);
  if (r.kind === 'discarded') {
    await finishNode(ctx, 'current', null);
    return 'current';
  }
  ctx.rec.phase = 'ready-to-reboot';
  journalRecord(ctx);
  return 'need-reboot';
}

/** An Ubuntu node's reboot: no update_engine, locksmithd or partitions to touch, only the sentinel to read. */
async function prepareReboot(ctx: NodeCtx): Promise<'need-reboot' | 'current'> {
  if ((await rebootRequiredStep(ctx)) === 'current') {
    await finishNode(ctx, 'current', null);
    return 'current';
  }
  ctx.rec.phase = 'ready-to-reboot';
  journalRecord(ctx);
  return 'need-reboot';
}

async function healthGateStep(ctx: NodeCtx, gate: HealthGate): Promise<void> {
  await runStep(
    ctx,
    'health-gate',
    coded('healthGate.started', { kind: gate.kind, node: ctx.node }, `Health gate (${gate.kind}) after ${ctx.node}`),
    async () => {
      if (gate.kind === 'ssh') {
        const r = await ctx.ops.runHealthCheck(gate.command, gate.timeoutSeconds * 1000);
        if (r.exitCode !== 0) throw new ApiError('health-gate-failed', `The health check on ${ctx.node} failed (exit ${r.exitCode}): ${r.output.slice(-300)}`, { node: ctx.node, exitCode: r.exitCode });
        return `exit 0`;
      }
      const jobs = ctx.deps.cluster.jobs;
      if (!jobs) throw new ApiError('health-gate-failed', 'Job health gates are not available for this cluster', { node: ctx.node });
      const r = await jobs.run(gate, ctx.node, ctx.control.signal);
      if (!r.ok) throw new ApiError('health-gate-failed', `The health-gate Job after ${ctx.node} failed: ${r.message}`, { node: ctx.node });
      return r.message;
    },
    (m) => ({ message: `Health gate passed (${m})` }),
  );
}

/** How a node's turn ended, once its lock is released. */
export interface TurnEnd {
  outcome: 'done' | 'skipped' | 'current';
  /** Putting back what the run changed on the node, which may still run: the node is back in service already. */
  finishing: Promise<void>;
}

const ended = (outcome: TurnEnd['outcome']): TurnEnd => ({ outcome, finishing: Promise.resolve() });

/** Steps 3–8 for one node; the caller serializes nodes. */
export async function rebootNode(ctx: NodeCtx, lock: ClusterLock, gate: HealthGate | null, resumeAt: 'start' | 'verify' = 'start'): Promise<TurnEnd> {
  ctx.rec.phase = 'active';
  if (resumeAt === 'start') {
    await ctx.control.checkpoint();
    if ((await lockStep(ctx, lock)) === 'current') {
      await lock.release();
      // it booted the new version without us (an unplanned reboot): let update-engine mark that boot good first
      await finishNode(ctx, 'current', ctx.deps.clock.nowMs());
      return ended('current');
    }
    await ctx.control.checkpoint();
    await cordonStep(ctx, lock);
    await ctx.control.checkpoint();
    if ((await drainStep(ctx, lock)) === 'skipped') {
      await lock.release();
      await stopWithStagedUpdate(ctx, { kind: 'skipped', text: 'its drain did not finish and the policy said skip' });
      if (!isAttention(ctx)) ctx.rec.phase = 'skipped';
      ctx.rec.step = null;
      journalRecord(ctx);
      return ended('skipped');
    }
    await ctx.control.checkpoint();
    await rebootStep(ctx, lock);
  } else {
    await lockStep(ctx, lock).catch((err: unknown) => {
      // resuming after the reboot: the node's update_engine no longer says NEED_REBOOT, which is expected
      if (!(err instanceof ApiError && err.kind === 'update-failed')) throw err;
    });
  }
  await verifyStep(ctx);
  const backAtMs = ctx.deps.clock.nowMs();
  await uncordonStep(ctx);
  const restoring = restoreNode(ctx, { backAtMs });
  try {
    // the health gate and the settle pause are part of this node's turn: no other run reboots meanwhile
    if (gate) await healthGateStep(ctx, gate);
    await settleStep(ctx);
    await releaseStep(ctx, lock);
  } catch (err) {
    await restoring;
    throw err;
  }
  // back in service and the lock released: the turn's next node need not wait for update-engine's restore
  const finishing = restoring.then(() => {
    if (!isAttention(ctx)) ctx.rec.phase = 'done';
    ctx.rec.step = null;
    journalRecord(ctx);
  });
  return { outcome: 'done', finishing };
}

const isAttention = (ctx: NodeCtx) => ctx.rec.phase === 'needs-attention';

/** Ends a node that needs no reboot: restore what we changed (after `backAtMs`, a boot update-engine must mark good). */
async function finishNode(ctx: NodeCtx, phase: 'current', backAtMs: number | null): Promise<void> {
  // a resumed run may find the node already current but still cordoned by its earlier self
  if (ctx.rec.cordonedByUs) await uncordonAfterStop(ctx, 'uncordon', 'cordoned by the interrupted run');
  await restoreNode(ctx, { backAtMs });
  if (!isAttention(ctx)) ctx.rec.phase = phase;
  ctx.rec.step = null;
  journalRecord(ctx);
}

/** Why a run stops with an update staged (a cancel, a drain skipped by policy, an error), in English too. */
interface StopReason {
  kind: 'stopped' | 'skipped' | 'failed';
  text: string;
}

/** Downloaded and applied, not yet booted: the next boot of the node, planned or not, starts the new version. */
const isStaged = (ctx: NodeCtx) => (ctx.rec.toVersion !== null || ctx.rec.staged === true) && ctx.rec.rebootIssuedAt === null;

/**
 * The run stops with the update staged. Masking update-engine with the update still staged would make the next
 * (unplanned) boot start the new version and the boot after it roll back, because nothing would mark the new
 * slot good. So, as the operator chose: the booted version is made to boot next and everything put back, or
 * the update stays staged, update-engine keeps running, and the node says on its mark what its next boot does.
 */
async function stopWithStagedUpdate(ctx: NodeCtx, why: StopReason): Promise<void> {
  // an Ubuntu node's reboot stages nothing: its sentinel stays until a reboot, whoever does it
  if (ctx.rec.action === 'reboot') return restoreNode(ctx, { backAtMs: null });
  if (ctx.options.stagedUpdateOnStop === 'discard') {
    const staged = ctx.rec.toVersion ?? 'a version update_engine no longer names';
    const discarded = await tidy(ctx, 'update', discardingStaged(ctx.node, staged), () => ctx.ops.discardStagedUpdate());
    if (discarded) {
      ctx.rec.toVersion = null;
      ctx.rec.staged = false;
      emitStep(ctx, 'update', 'progress', `${ctx.node} keeps booting ${ctx.rec.fromVersion}: the update to ${staged} was discarded (${why.text})`);
      await restoreNode(ctx, { backAtMs: null });
      return;
    }
  }
  await keepStaged(ctx, why);
}

async function keepStaged(ctx: NodeCtx, why: StopReason): Promise<void> {
  await restoreNode(ctx, { backAtMs: null, keepMarks: true, leaveUpdateEngine: true });
  await recordStaged(ctx, ctx.rec.toVersion ?? 'unknown');
  const held = Boolean(ctx.rec.lsOriginal);
  const code = held ? (`staged.${why.kind}Held` as const) : (`staged.${why.kind}` as const);
  const version = ctx.rec.toVersion ?? 'the staged update';
  await ctx.needsAttention(
    'update',
    attentionNote(
      code,
      { node: ctx.node, version: ctx.rec.toVersion },
      `boots ${version} at its next reboot: the update is staged (${why.text}); update-engine stays running so it can mark that boot good${held ? ', and locksmithd stays held until that boot so it cannot reboot the node undrained' : ''}. Update ${ctx.node} again to reboot it drained`,
    ),
  );
  ctx.rec.step = null;
  journalRecord(ctx);
}

async function uncordonAfterStop(ctx: NodeCtx, step: PipelineStep, why: string): Promise<void> {
  const done = await tidy(ctx, step, attentionNote('cleanup.uncordon', { node: ctx.node }, `Uncordoning ${ctx.node} (${why})`), () => uncordonIfOurs(ctx.deps.cluster.nodes, ctx.node, true));
  if (!done) return;
  ctx.rec.cordonedByUs = false;
  emitStep(ctx, step, step === 'uncordon' ? 'succeeded' : 'progress', `${ctx.node} uncordoned (${why})`);
}

/**
 * After a failure or cancel: before the reboot, undo everything (uncordon if ours, restore, release) so
 * nothing is left cordoned by us, but never hide a staged update; after the reboot, or when the drain policy
 * said "stop", the node stays cordoned and needs attention. Whatever of the undoing fails is recorded on the
 * node, never dropped.
 */
export async function cleanUpAfter(ctx: NodeCtx, lock: ClusterLock | null, err: unknown): Promise<void> {
  const info = toErrorInfo(err);
  const cancelled = info.kind === 'cancelled';
  const rebooted = ctx.rec.step === 'reboot' || ctx.rec.step === 'verify';
  if (rebooted && !isAttention(ctx)) {
    const note = cancelled
      ? attentionNote('rebootCancelled', { node: ctx.node, runId: ctx.runId }, `cancelled while it rebooted; it stays cordoned until \`flatdeck resume ${ctx.runId}\` sees it back`)
      : attentionNote('rebootFailed', { node: ctx.node, error: info.message }, info.message);
    await ctx.needsAttention(ctx.rec.step ?? 'verify', note);
  }
  if (!isAttention(ctx)) {
    if (ctx.rec.cordonedByUs) await uncordonAfterStop(ctx, ctx.rec.step ?? 'preflight', `after: ${info.message}`);
    if (isStaged(ctx)) await stopWithStagedUpdate(ctx, cancelled ? { kind: 'stopped', text: 'the run stopped before its reboot' } : { kind: 'failed', text: info.message });
    else if (ctx.rec.step !== 'preflight') await restoreNode(ctx, { backAtMs: null });
    if (!isAttention(ctx)) ctx.rec.phase = cancelled ? 'skipped' : 'failed';
  }
  if (lock) await tidy(ctx, 'release', attentionNote('cleanup.releaseLock', {}, 'Releasing the cluster update lock (it expires by itself after the lease duration)'), () => lock.release());
  journalRecord(ctx);
}
