import { ApiError } from '../api/errors.ts';
import { cordon, uncordonIfOurs } from '../cluster/cordon.ts';
import { deletePods, evictPods, type PodDrainEvent } from '../cluster/drain.ts';
import { hasErrors, planDrain } from '../cluster/drain-filters.ts';
import { markKeys, markPatch, writeMark } from '../cluster/node-annotations.ts';
import { daemonSetPodsNotReady, nodeBackProblems } from '../cluster/reboot-wait.ts';
import type { ClusterLock } from './cluster-lock.ts';
import { drainPolicy } from './preflight.ts';
import { Nudge, pollUntil } from '../support/retry.ts';
import { ensureRollbackBootsNext } from './rollback-step.ts';
import { attentionNote, codeOf, coded, emitStep, journalRecord, runStep, type CodedMessage, type NodeCtx } from './run-context.ts';

const iso = (ms: number) => new Date(ms).toISOString();

async function mark(ctx: NodeCtx, step: string): Promise<void> {
  await writeMark(ctx.deps.cluster.nodes, ctx.node, { instance: ctx.deps.holder, run: ctx.runId, step, since: iso(ctx.deps.clock.nowMs()) });
}

/** Step 3: the cluster-wide lock; then make sure the node still needs what we are about to do. */
export async function lockStep(ctx: NodeCtx, lock: ClusterLock): Promise<'proceed' | 'current'> {
  return runStep(
    ctx,
    'lock',
    coded('lock.waiting', { node: ctx.node }, `Waiting for the cluster update lock for ${ctx.node}`),
    async () => {
      await lock.acquire(ctx.node, ctx.runId, ctx.control);
      // resumed after this run's own reboot: the node may still be down or have rolled back; verify judges that
      const resumed = ctx.rec.rebootIssuedAt !== null;
      // another instance may have rebooted this node onto the new version while we waited (asked beside the mark)
      const [, version] = await Promise.all([mark(ctx, 'lock'), resumed ? null : ctx.ops.versionId()]);
      if (resumed) return 'proceed' as const;
      if (version !== ctx.rec.fromVersion) return 'current' as const;
      if (ctx.rec.action === 'rollback') {
        await ensureRollbackBootsNext(ctx, 'lock');
        return 'proceed' as const;
      }
      if (ctx.rec.action === 'reboot') return 'proceed' as const;
      const status = await ctx.ops.status();
      if (status.op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT') return 'proceed' as const;
      throw new ApiError('update-failed', `${ctx.node} no longer has an update waiting for a reboot (update_engine: ${status.op})`, { node: ctx.node, op: status.op });
    },
    (r) => (r === 'proceed' ? coded('lock.held', { node: ctx.node }, `Holding the cluster update lock for ${ctx.node}`) : coded('lock.updatedMeanwhile', { node: ctx.node }, `${ctx.node} was updated meanwhile by another run`)),
  );
}

/** What a drain of the node would do now: its pods and the cluster's PDBs, read side by side. */
async function drainPlan(ctx: NodeCtx): Promise<ReturnType<typeof planDrain>> {
  const { drain } = ctx.deps.cluster;
  const [pods, pdbs] = await Promise.all([drain.listPodsOnNode(ctx.node), drain.listPdbs()]);
  return planDrain(pods, pdbs, drainPolicy(ctx.options), new Date(ctx.deps.clock.nowMs()));
}

/** Step 4: cordon, recording in the same patch whether we did it. */
export async function cordonStep(ctx: NodeCtx, lock: ClusterLock): Promise<void> {
  await runStep(
    ctx,
    'cordon',
    coded('cordon.started', { node: ctx.node }, `Cordoning ${ctx.node}`),
    async () => {
      await lock.confirm(`cordoning ${ctx.node}`);
      const plan = await drainPlan(ctx);
      const refusal = plan.blockers.find((b) => b.severity !== 'warning');
      if (refusal && hasErrors(plan.blockers)) {
        throw new ApiError('drain-blocked', `Not cordoning ${ctx.node}: ${refusal.message}`, { node: ctx.node, pod: refusal.pod, pdb: refusal.pdb });
      }
      const alreadyOurs = ctx.rec.cordonedByUs;
      const { cordonedByUs } = await cordon(ctx.deps.cluster.nodes, ctx.node, {
        [markKeys.step]: 'cordon',
        [markKeys.since]: iso(ctx.deps.clock.nowMs()),
      });
      ctx.rec.cordonedByUs = alreadyOurs || cordonedByUs;
      if (alreadyOurs && !cordonedByUs) await writeMark(ctx.deps.cluster.nodes, ctx.node, { cordonedByUs: true });
      journalRecord(ctx);
    },
    () => ({
      ...(ctx.rec.cordonedByUs
        ? coded('cordon.done', { node: ctx.node }, `${ctx.node} cordoned`)
        : coded('cordon.already', { node: ctx.node }, `${ctx.node} was already cordoned by someone else; it stays cordoned afterwards`)),
      detail: { cordonedByUs: ctx.rec.cordonedByUs },
    }),
  );
}

function podEventMessage(e: PodDrainEvent): CodedMessage {
  const { pod } = e;
  switch (e.type) {
    case 'evicting': return coded('drain.evicting', { pod }, `Evicting ${pod}`);
    case 'retry': {
      const seconds = Math.round(e.waitMs / 100) / 10;
      return coded('drain.evictionRetry', { pod, status: e.status, reason: e.reason, seconds }, `Eviction of ${pod} refused (HTTP ${e.status}: ${e.reason}); retrying in ${seconds} s`);
    }
    case 'evicted': return coded('drain.evicted', { pod }, `${pod} accepted for eviction; waiting until it is gone`);
    case 'deleted': return coded('drain.deleted', { pod }, `${pod} deleted (forced)`);
    case 'gone': return coded('drain.gone', { pod }, `${pod} is gone`);
    case 'blocked': return coded('drain.podBlocked', { pod, reason: e.reason }, `${pod} cannot be evicted: ${e.reason}`);
  }
}

export type DrainResult = 'drained' | 'skipped';

/** Step 5: evict, wait for every pod to be gone by UID; on timeout apply the operator's policy. */
export async function drainStep(ctx: NodeCtx, lock: ClusterLock): Promise<DrainResult> {
  return runStep(
    ctx,
    'drain',
    coded('drain.started', { node: ctx.node }, `Draining ${ctx.node}`),
    async () => {
      await lock.confirm(`draining ${ctx.node}`);
      // the Node says where the run is (before any eviction), so a crash mid-drain is found (and resumed) as a drain
      const [, plan] = await Promise.all([mark(ctx, 'drain'), drainPlan(ctx)]);
      const { drain } = ctx.deps.cluster;
      const clock = ctx.deps.clock;
      const opts = {
        deadlineMs: clock.nowMs() + ctx.options.drainTimeoutSeconds * 1000,
        nowMs: () => clock.nowMs(),
        sleep: (ms: number, s?: AbortSignal) => clock.sleep(ms, s),
        signal: ctx.control.signal,
        onEvent: (e: PodDrainEvent) => {
          const m = podEventMessage(e);
          emitStep(ctx, 'drain', 'progress', m.message, { ...codeOf(m), detail: { pod: e.pod, event: e.type } });
        },
      };
      let outcome = await evictPods(drain, plan.toRemove, opts);
      if (outcome.finished) return 'drained' as const;
      if (ctx.control.isCancelled) throw new ApiError('cancelled', 'The run was cancelled by the operator');
      const stuck = outcome.blocked[0] ?? { pod: outcome.remaining.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', '), pdb: null, reason: 'still running' };
      const why = outcome.timedOut
        ? `the drain of ${ctx.node} did not finish within ${ctx.options.drainTimeoutSeconds} s; still there: ${stuck.pod}`
        : `the drain of ${ctx.node} is blocked by ${stuck.pod}${stuck.pdb ? ` (${stuck.pdb})` : ''}: ${stuck.reason}`;
      const wording = { node: ctx.node, pod: stuck.pod, seconds: ctx.options.drainTimeoutSeconds, reason: stuck.reason };
      const pdbs = plan.blockers.filter((b) => b.pdb).map((b) => b.pdb).join(',');
      const facts = { node: ctx.node, pod: stuck.pod, pdb: stuck.pdb ?? (pdbs || null), policy: ctx.options.onDrainTimeout };
      if (ctx.options.onDrainTimeout === 'skip') {
        await uncordonIfOurs(ctx.deps.cluster.nodes, ctx.node, ctx.rec.cordonedByUs);
        ctx.rec.cordonedByUs = false;
        emitStep(ctx, 'drain', 'progress', `${why}; uncordoned and skipped as configured`);
        return 'skipped' as const;
      }
      if (ctx.options.onDrainTimeout === 'force') {
        emitStep(ctx, 'drain', 'progress', `${why}; deleting the remaining pods as consented`);
        outcome = await deletePods(drain, outcome.remaining, { ...opts, deadlineMs: clock.nowMs() + ctx.options.drainTimeoutSeconds * 1000 });
        if (outcome.finished) return 'drained' as const;
      }
      await ctx.needsAttention('drain', attentionNote(outcome.timedOut ? 'drainTimeout' : 'drainBlocked', wording, `${why}; it stays cordoned and was not rebooted`));
      throw new ApiError(outcome.timedOut ? 'drain-timeout' : 'drain-blocked', `${why}. The node stays cordoned and needs attention; it was not rebooted.`, facts, {
        code: outcome.timedOut ? 'drain.timeout' : 'drain.blocked',
        params: { seconds: wording.seconds, reason: wording.reason },
      });
    },
    (r) => (r === 'drained' ? coded('drain.done', { node: ctx.node }, `${ctx.node} drained`) : coded('drain.skipped', { node: ctx.node }, `${ctx.node} skipped: drain did not finish`)),
  );
}

/** Step 6: record the boot we are leaving (and check it is the Node's machine), then `sudo systemctl reboot`. */
export async function rebootStep(ctx: NodeCtx, lock: ClusterLock): Promise<void> {
  await runStep(
    ctx,
    'reboot',
    coded('reboot.started', { node: ctx.node }, `Rebooting ${ctx.node}`),
    async () => {
      await lock.waitQuiet(ctx.node, ctx.runId, ctx.control, ctx.options.rebootTimeoutSeconds * 1000);
      // Pre-flight matched the machine behind the verified host key to the Node; the address may lead elsewhere
      // since (a reinstalled or swapped machine with a copied key), so match again right before rebooting it.
      const [, bootId, node] = await Promise.all([lock.confirm(`rebooting ${ctx.node}`), ctx.ops.bootId(), ctx.deps.cluster.nodes.getNode(ctx.node)]);
      ctx.rec.bootIdBefore = bootId;
      const nodeBootId = node.status?.nodeInfo?.bootID;
      if (nodeBootId && nodeBootId !== ctx.rec.bootIdBefore) {
        const why = `SSH to ${ctx.node} now reaches a machine with boot ID ${ctx.rec.bootIdBefore}, but the Node reports ${nodeBootId}`;
        const facts = { node: ctx.node, sshBootId: ctx.rec.bootIdBefore, nodeBootId };
        await ctx.needsAttention('reboot', attentionNote('otherMachine', facts, `${why}; it stays cordoned and was not rebooted`));
        throw new ApiError('reboot-failed', `${why}: the SSH address points at another machine. ${ctx.node} stays cordoned and was not rebooted.`, facts, { code: 'reboot.otherMachine' });
      }
      ctx.rec.rebootIssuedAt = iso(ctx.deps.clock.nowMs());
      await ctx.deps.cluster.nodes.mergePatchNode(ctx.node, {
        metadata: { annotations: markPatch({ step: 'reboot', since: ctx.rec.rebootIssuedAt, bootIdBefore: ctx.rec.bootIdBefore, toVersion: ctx.rec.toVersion, fromVersion: ctx.rec.fromVersion }) },
      });
      journalRecord(ctx);
      if (ctx.rec.action === 'rollback') await ensureRollbackBootsNext(ctx, 'reboot');
      await ctx.ops.reboot();
    },
    () => coded('reboot.issued', { node: ctx.node, bootId: ctx.rec.bootIdBefore }, `${ctx.node}: reboot issued (boot ${ctx.rec.bootIdBefore})`),
  );
}

/** SSH failures that waiting does not heal: a changed host key, a rejected login. */
const LASTING = new Set(['host-key-changed', 'ssh-auth-rejected']);

/**
 * The new boot's ID once SSH answers from a boot other than `before`, after checking it runs the version we
 * rebooted it into; null while it does not answer yet. A rollback or another version is thrown.
 */
async function newBootAnswering(ctx: NodeCtx, before: string): Promise<string | null> {
  let id: string;
  let version: string;
  try {
    id = await ctx.ops.bootId();
    if (id === before) {
      ctx.ops.reconnect();
      return null;
    }
    version = await ctx.ops.versionId();
  } catch (err) {
    if (err instanceof ApiError && LASTING.has(err.kind)) throw err;
    ctx.ops.reconnect();
    return null;
  }
  // an Ubuntu node's reboot comes back on the release it left (VERSION_ID only changes with do-release-upgrade)
  const rolledBack = ctx.rec.action !== 'reboot' && version === ctx.rec.fromVersion;
  // an update update_engine staged without naming it is verified as "not the old version any more"
  if (ctx.rec.toVersion === null && !rolledBack) {
    ctx.rec.toVersion = version;
    journalRecord(ctx);
  }
  if (version !== ctx.rec.toVersion) {
    throw new ApiError(rolledBack ? 'rollback-detected' : 'reboot-failed', rolledBack
      ? `${ctx.node} booted the old version ${version} again instead of ${ctx.rec.toVersion ?? 'the staged update'} (rollback)`
      : `${ctx.node} booted version ${version}, expected ${ctx.rec.toVersion}`, { node: ctx.node, version, expected: ctx.rec.toVersion });
  }
  emitStep(ctx, 'verify', 'progress', `${ctx.node} answers on SSH from a new boot on ${version}`, { code: 'verify.newBoot', params: { node: ctx.node, version }, detail: { bootId: id, version } });
  return id;
}

/** What the Node object still says against "back": empty once it agrees with the new boot. */
async function stillNotBack(ctx: NodeCtx, seen: { bootIdBefore: string; rebootIssuedAt: Date; bootIdNow: string }): Promise<string[]> {
  const problems = nodeBackProblems(await ctx.deps.cluster.nodes.getNode(ctx.node), seen);
  if (problems.length === 0 && ctx.options.waitForDaemonSets) {
    const notReady = daemonSetPodsNotReady(await ctx.deps.cluster.drain.listPodsOnNode(ctx.node));
    if (notReady.length) problems.push(`DaemonSet pods not Ready: ${notReady.join(', ')}`);
  }
  return problems;
}

/**
 * Step 6b: the node is back only when SSH answers from a new boot on the new version, and the Node object
 * agrees: new bootID, Ready with a heartbeat after the reboot, no not-ready/unreachable taint, and (if
 * configured) its DaemonSet pods Ready. The old version after a new boot is a rollback: failed, kept cordoned.
 * A cancel ends the wait at once (nothing spins); the node stays cordoned and marked for `resume`.
 */
export async function verifyStep(ctx: NodeCtx): Promise<void> {
  await runStep(
    ctx,
    'verify',
    coded('verify.waiting', { node: ctx.node }, `Waiting for ${ctx.node} to come back`),
    async () => {
      const clock = ctx.deps.clock;
      const bootIdBefore = ctx.rec.bootIdBefore ?? '';
      const rebootIssuedAt = new Date(ctx.rec.rebootIssuedAt ?? iso(clock.nowMs()));
      let bootIdNow: string | null = null;
      let waitingFor = 'SSH to answer from a new boot';
      ctx.ops.reconnect();
      // the kubelet reporting the new boot is also when SSH is worth trying again: a Node change looks at once,
      // and so does a change of its pods when their DaemonSet pods must be Ready too
      const nudge = new Nudge();
      const watching = new AbortController();
      void ctx.deps.cluster.nodes.watchNode?.(ctx.node, () => nudge.fire(), watching.signal).catch(() => undefined);
      if (ctx.options.waitForDaemonSets) void ctx.deps.cluster.drain.watchPodsOn?.(ctx.node, () => nudge.fire(), watching.signal).catch(() => undefined);
      const outcome = await pollUntil(
        async () => {
          bootIdNow ??= await newBootAnswering(ctx, bootIdBefore);
          if (bootIdNow === null) return undefined;
          const problems = await stillNotBack(ctx, { bootIdBefore, rebootIssuedAt, bootIdNow });
          if (problems.length === 0) return true;
          waitingFor = problems.join('; ');
          return undefined;
        },
        { clock, intervalMs: 500, deadlineMs: clock.nowMs() + ctx.options.rebootTimeoutSeconds * 1000, signal: ctx.control.signal, nudge },
      ).finally(() => watching.abort());
      if (outcome.timedOut) {
        throw new ApiError('reboot-failed', `${ctx.node} did not come back within ${ctx.options.rebootTimeoutSeconds} s (waiting for ${waitingFor})`, { node: ctx.node }, { code: 'reboot.timeout', params: { seconds: ctx.options.rebootTimeoutSeconds, waitingFor } });
      }
    },
    () => coded('verify.back', { node: ctx.node, version: ctx.rec.toVersion }, `${ctx.node} is back on ${ctx.rec.toVersion}, Ready`),
  );
}

/** Step 7: uncordon (only if we cordoned). */
export async function uncordonStep(ctx: NodeCtx): Promise<void> {
  await runStep(
    ctx,
    'uncordon',
    coded('uncordon.started', { node: ctx.node }, `Uncordoning ${ctx.node}`),
    async () => {
      const ours = ctx.rec.cordonedByUs;
      await uncordonIfOurs(ctx.deps.cluster.nodes, ctx.node, ours, markPatch({ step: 'uncordon', since: iso(ctx.deps.clock.nowMs()) }));
      ctx.rec.cordonedByUs = false;
      journalRecord(ctx);
      return ours;
    },
    (ours) => (ours ? coded('uncordon.done', { node: ctx.node }, `${ctx.node} uncordoned`) : coded('uncordon.leftCordoned', { node: ctx.node }, `${ctx.node} left cordoned: someone else cordoned it`)),
  );
}

export async function releaseStep(ctx: NodeCtx, lock: ClusterLock): Promise<void> {
  await runStep(
    ctx,
    'release',
    coded('release.started', {}, 'Releasing the cluster update lock'),
    () => lock.release(),
    () => coded('release.done', {}, 'Cluster update lock released'),
  );
}

export async function settleStep(ctx: NodeCtx): Promise<void> {
  await runStep(
    ctx,
    'settle',
    coded('settle.started', { seconds: ctx.options.settleSeconds }, `Letting the cluster settle for ${ctx.options.settleSeconds} s`),
    // a cancel only cuts the pause short: the node itself is done
    () => ctx.deps.clock.sleep(ctx.options.settleSeconds * 1000, ctx.control.signal).catch(() => undefined),
    () => coded('settle.done', {}, 'Settled'),
  );
}
