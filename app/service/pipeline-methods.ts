import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../api/errors.ts';
import { updateOptionsFrom } from '../api/settings.ts';
import { feedUrlFor } from '../releases/methods.ts';
import { releasedOn } from '../releases/release-exists.ts';
import { PipelineEngine } from '../pipeline/engine.ts';
import { FileJournal } from '../pipeline/journal.ts';
import { clusterIdentity } from '../pipeline/kube-cluster.ts';
import type { Run } from '../pipeline/rollout.ts';
import type { MethodModule } from './context.ts';
import { pipelineActivity } from './pipeline-activity.ts';

/** user@host of this flatdeck instance: the person at the keyboard of the UI or CLI that asked. */
function operator(): string {
  let user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): the environment's name stands
  }
  return `${user}@${hostname()}`;
}

/**
 * The pipeline behind the API: one engine per cluster (its Lease holder identity is this process), runs
 * kept for pause/resume/cancel, every step/command/rollout event pushed to subscribers and its transitions
 * recorded in the Activity log.
 */
export const pipelineMethods: MethodModule = (ctx) => {
  const engines = new Map<string, { engine: Promise<PipelineEngine>; builtFrom: string }>();
  const recordActivity = pipelineActivity(ctx.activity);
  /** What an engine is built from that the operator changes in Settings: the Lease and the SSH profile. */
  const settingsOf = (cluster: string) => JSON.stringify([ctx.settings.get().lock, ctx.ssh.profile(cluster)]);

  const build = async (cluster: string): Promise<PipelineEngine> => {
    await ctx.clusters.connect(cluster);
    const pool = await ctx.ssh.pool(cluster);
    const kubeConfig = ctx.clusters.connection(cluster).kubeConfig;
    // runs are kept per cluster identity, not per context name (two clusters may share one)
    const journal = new FileJournal(join(ctx.options.dataDir, 'pipeline'), await clusterIdentity(kubeConfig));
    return new PipelineEngine({
      clusterId: cluster,
      kubeConfig,
      pool,
      inventory: () => ctx.clusters.inventory(cluster),
      resolveTarget: (node) => ctx.ssh.target(cluster, node),
      journal,
      dataDir: join(ctx.options.dataDir, 'pipeline'),
      lock: ctx.settings.get().lock,
      emit: (event) => {
        try {
          recordActivity(event);
        } catch {
          // an Activity file that cannot be written (disk full) must not stop a node mid-update
        }
        ctx.emit(event);
      },
    });
  };

  /**
   * The cluster's engine, rebuilt when the Settings it was built from changed (a new jump host, key or Lease); a run
   * still going keeps the engine it started with, and the runs of the old engine stay listed.
   */
  const engine = (cluster: string): Promise<PipelineEngine> => {
    const builtFrom = settingsOf(cluster);
    const current = engines.get(cluster);
    if (current?.builtFrom === builtFrom) return current.engine;
    const next = (async () => {
      const old = current ? await current.engine.catch(() => null) : null;
      if (old && [...old.runs.values()].some((r) => r.state().finishedAt === null)) {
        engines.set(cluster, current!);
        return old;
      }
      const fresh = await build(cluster);
      for (const [runId, run] of old?.runs ?? []) fresh.runs.set(runId, run);
      return fresh;
    })();
    engines.set(cluster, { engine: next, builtFrom });
    next.catch(() => {
      if (engines.get(cluster)?.engine === next) engines.delete(cluster);
    });
    return next;
  };

  const findRun = async (runId: string): Promise<Run> => {
    for (const { engine: e } of engines.values()) {
      const run = (await e).runs.get(runId);
      if (run) return run;
    }
    throw new ApiError('not-found', `No run ${runId} in this session`, { runId });
  };

  ctx.onClose(async () => {
    for (const { engine: e } of engines.values()) {
      const eng = await e.catch(() => null);
      for (const run of eng?.runs.values() ?? []) run.control.cancel();
      await Promise.allSettled([...(eng?.runs.values() ?? [])].map((r) => r.done));
    }
  });

  /** Pause, resume and cancel are the operator's decisions: Activity says who made them, and when. */
  const operatorAction = (run: Run, what: 'paused' | 'resumed' | 'cancel-requested', act: (run: Run) => void) => {
    act(run);
    const state = run.state();
    const nodes = state.nodes.length;
    ctx.activity.record(`run-${what}`, `Run ${run.runId} (${nodes} node(s)) ${what.replace('-', ' ')} by ${operator()}`, { cluster: state.cluster }, {
      params: { runId: run.runId, nodes },
      actor: operator(),
    });
    return state;
  };

  /** Every run starts from the operator's Settings; what the caller set for this run goes on top. */
  const runOptions = (overrides: Parameters<typeof updateOptionsFrom>[1] = {}) => updateOptionsFrom(ctx.settings.get(), overrides);

  return {
    'nodes.preflight': async ({ cluster, node, options }) => (await engine(cluster)).preflight(node, runOptions(options)),
    'pipeline.updateNode': async ({ cluster, node, options, toVersion }) => {
      if (toVersion) await releasedOn(feedUrlFor(ctx, cluster), toVersion);
      const run = await (await engine(cluster)).start({ kind: 'single', nodes: [node], options: runOptions(options), ...(toVersion ? { toVersion } : {}) });
      return { runId: run.runId };
    },
    'pipeline.rollbackNode': async ({ cluster, node, options }) => {
      const run = await (await engine(cluster)).start({ kind: 'single', nodes: [node], options: runOptions(options), action: 'rollback' });
      return { runId: run.runId };
    },
    'nodes.usrPartitions': async ({ cluster, node }) => (await engine(cluster)).usrPartitions(node),
    'nodes.rebootRequired': async ({ cluster, node }) => (await engine(cluster)).rebootRequired(node),
    'pipeline.rebootNode': async ({ cluster, node, force, options }) => ({ runId: (await (await engine(cluster)).startReboot(node, runOptions(options), force)).runId }),
    'rollout.start': async ({ cluster, options }) => {
      if (options.toVersion) await releasedOn(feedUrlFor(ctx, cluster), options.toVersion);
      return { runId: (await (await engine(cluster)).startRollout({ ...options, ...runOptions(options) })).runId };
    },
    'rollout.pause': async ({ runId }) => operatorAction(await findRun(runId), 'paused', (run) => run.control.pause()),
    'rollout.resume': async ({ runId }) => operatorAction(await findRun(runId), 'resumed', (run) => run.control.resume()),
    'rollout.cancel': async ({ runId }) => operatorAction(await findRun(runId), 'cancel-requested', (run) => run.control.cancel()),
    'rollout.list': async ({ cluster }) => [...(await engine(cluster)).runs.values()].map((r) => r.state()),
    'runs.unfinished': async ({ cluster }) => (await engine(cluster)).unfinished(),
    'runs.resume': async ({ cluster, runId, options }) => ({ runId: (await (await engine(cluster)).resume(runId, runOptions(), options)).runId }),
    'runs.handBack': async ({ cluster, runId }) => ({ handedBack: await (await engine(cluster)).handBack(runId, runOptions()) }),
  };
};
