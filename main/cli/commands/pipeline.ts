import { z } from 'zod';
import type { ApiEvent } from '../../../app/api/events.ts';
import type { PreflightReport, RolloutOptions, RolloutState, UnfinishedRun, UpdateOptions } from '../../../app/api/pipeline.ts';
import { parseWindowSpec } from '../../../app/pipeline/reboot-window.ts';
import { CliError, defineCommand, EXIT, exitCodeHelp, type CliIo } from '../command.ts';
import { ClusterArgs, clusterOptions, clusterOptionsHelp, type OpenCluster } from '../cluster-options.ts';
import { confirm, withCluster } from '../session.ts';
import { duration, formatDuration } from '../duration.ts';

export const pipelineOptions = {
  yes: { type: 'boolean', short: 'y' },
  'drain-timeout': { type: 'string' },
  'on-drain-timeout': { type: 'string' },
  settle: { type: 'string' },
  'delete-emptydir-data': { type: 'boolean' },
  'delete-unmanaged': { type: 'boolean' },
  'reboot-timeout': { type: 'string' },
  'lease-duration': { type: 'string' },
  'restore-after-boot': { type: 'string' },
  'keep-update-engine': { type: 'boolean' },
  'download-timeout': { type: 'string' },
  'out-of-service-ok': { type: 'string' },
  'staged-update': { type: 'string' },
} as const;

export const pipelineOptionsHelp = `update options:
  -y, --yes                 do not ask for confirmation after the pre-flight
  --drain-timeout D         give up draining a node after D (default 10m); e.g. 90s, 10m, 1h
  --on-drain-timeout P      stop (keep cordoned, needs attention; default) | skip (uncordon, next node)
                            | force (delete the remaining pods: your explicit consent)
  --settle D                wait D after a node before the next one (default 30s)
  --delete-emptydir-data    allow evicting pods with emptyDir volumes (their data is lost)
  --delete-unmanaged        allow deleting pods without a controller (they do not come back)
  --reboot-timeout D        a node must be back, Ready, on the new version within D (default 15m)
  --lease-duration D        the cluster lock's lease duration (default 15s)
  --restore-after-boot D    re-mask update-engine only D after the node is back (default 60s)
  --keep-update-engine      leave update-engine enabled afterwards instead of restoring it
  --download-timeout D      give up when update_engine shows no progress for D (default 5m)
  --out-of-service-ok a,b   go on although these nodes are out of service (cordoned or down and needing
                            attention); without it such a node stops every reboot until it is resolved
  --staged-update S         when a run stops after the download (skip, failure, Ctrl-C): keep (default: the
                            update stays staged, the node boots it at its next reboot and says so) | discard
                            (the node keeps booting its current version)`;

export const PipelineFlags = z.object({
  yes: z.boolean().default(false),
  'drain-timeout': duration('--drain-timeout').optional(),
  'on-drain-timeout': z.enum(['stop', 'skip', 'force'], { message: '--on-drain-timeout must be stop, skip or force' }).optional(),
  settle: duration('--settle').optional(),
  'delete-emptydir-data': z.boolean().default(false),
  'delete-unmanaged': z.boolean().default(false),
  'reboot-timeout': duration('--reboot-timeout').optional(),
  'lease-duration': duration('--lease-duration').optional(),
  'restore-after-boot': duration('--restore-after-boot').optional(),
  'keep-update-engine': z.boolean().default(false),
  'download-timeout': duration('--download-timeout').optional(),
  'out-of-service-ok': z.string().optional(),
  'staged-update': z.enum(['keep', 'discard'], { message: '--staged-update must be keep or discard' }).optional(),
});
type PipelineFlags = z.infer<typeof PipelineFlags>;

export function updateOptions(f: PipelineFlags): Partial<UpdateOptions> {
  return {
    ...(f['drain-timeout'] !== undefined ? { drainTimeoutSeconds: f['drain-timeout'] } : {}),
    ...(f['on-drain-timeout'] ? { onDrainTimeout: f['on-drain-timeout'] } : {}),
    ...(f.settle !== undefined ? { settleSeconds: f.settle } : {}),
    ...(f['delete-emptydir-data'] ? { emptyDirPolicy: 'delete' as const } : {}),
    ...(f['delete-unmanaged'] ? { unmanagedPodPolicy: 'delete' as const } : {}),
    ...(f['reboot-timeout'] !== undefined ? { rebootTimeoutSeconds: f['reboot-timeout'] } : {}),
    ...(f['lease-duration'] !== undefined ? { leaseDurationSeconds: f['lease-duration'] } : {}),
    ...(f['restore-after-boot'] !== undefined ? { restoreAfterBootSeconds: f['restore-after-boot'] } : {}),
    ...(f['keep-update-engine'] ? { restoreUpdateEngine: 'leave-enabled' as const } : {}),
    ...(f['download-timeout'] !== undefined ? { downloadTimeoutSeconds: f['download-timeout'] } : {}),
    ...(f['staged-update'] ? { stagedUpdateOnStop: f['staged-update'] } : {}),
    ...(f['out-of-service-ok'] ? { outOfServiceOk: f['out-of-service-ok'].split(',').map((s) => s.trim()).filter(Boolean) } : {}),
  };
}

function eventLine(e: ApiEvent): string | null {
  if (e.topic === 'step') {
    const p = e.payload;
    const progress = typeof p.detail.progress === 'number' && p.detail.op === 'UPDATE_STATUS_DOWNLOADING' ? p.detail.progress : null;
    if (progress !== null && Math.round(progress * 100) % 10 !== 0) return null;
    const took = p.durationMs !== null && p.status !== 'progress' ? ` (${(p.durationMs / 1000).toFixed(1)} s)` : '';
    return `${p.at.slice(11, 19)} ${p.node.padEnd(14)} ${p.step.padEnd(11)} ${p.status.padEnd(9)} ${p.message}${took}`;
  }
  if (e.topic === 'rollout' && e.payload.waitingFor) return `${new Date().toISOString().slice(11, 19)} waiting for ${e.payload.waitingFor}`;
  return null;
}

const finishedPhases = new Set(['done', 'current', 'failed', 'needs-attention', 'skipped']);

/** "3 of 10 nodes finished, about 12m left" (the run's ETA, K turns and zones counted) each time a node finishes. */
export function progressLine(run: RolloutState, finishedBefore: number): { line: string | null; finished: number } {
  const finished = run.nodes.filter((n) => finishedPhases.has(n.phase)).length;
  if (finished === finishedBefore || finished === run.nodes.length) return { line: null, finished };
  const left = run.etaSeconds === null ? 'time left not known yet' : `about ${formatDuration(run.etaSeconds)} left`;
  return { line: `${new Date().toISOString().slice(11, 19)} ${finished} of ${run.nodes.length} nodes finished, ${left}`, finished };
}

function preflightText(r: PreflightReport): string {
  const lines = [`${r.node}: Flatcar ${r.versionId ?? '?'}, update-engine ${r.updateEngineUnit ?? '?'}, locksmithd ${r.locksmithdUnit ?? '?'}`];
  for (const p of r.pods) lines.push(`  ${p.action.padEnd(16)} ${p.namespace}/${p.name}  ${p.reason}`);
  for (const b of r.blockers) lines.push(`  ${b.severity === 'warning' ? 'warning' : 'BLOCKER'}: ${b.message}`);
  for (const n of r.notes) lines.push(`  will: ${n}`);
  return `${lines.join('\n')}\n`;
}

/** Follows a run's events until it ends; prints lines (or JSON) and maps the end state to an exit code. */
export async function follow(open: OpenCluster, io: CliIo, json: boolean, start: () => Promise<{ runId: string }>): Promise<number> {
  let runId: string | null = null;
  const early: ApiEvent[] = [];
  let lastWaiting: string | null = null;
  let finished = 0;
  let resolveEnd: (s: RolloutState) => void = () => undefined;
  const ended = new Promise<RolloutState>((r) => (resolveEnd = r));
  const terminal = new Set(['succeeded', 'failed', 'cancelled']);
  const handle = (e: ApiEvent) => {
    const id = e.topic === 'step' || e.topic === 'rollout' ? e.payload.runId : e.topic === 'command' ? e.payload.runId : null;
    if (id !== runId) return;
    if (json) io.stdout.write(`${JSON.stringify(e)}\n`);
    else if (e.topic !== 'command' && !(e.topic === 'rollout' && e.payload.waitingFor === lastWaiting)) {
      const line = eventLine(e);
      if (line) io.stdout.write(`${line}\n`);
    }
    if (e.topic === 'rollout') {
      lastWaiting = e.payload.waitingFor;
      const progress = progressLine(e.payload, finished);
      finished = progress.finished;
      if (progress.line && !json) io.stdout.write(`${progress.line}\n`);
      if (terminal.has(e.payload.status)) resolveEnd(e.payload);
    }
  };
  const unsubscribe = open.service.subscribe((e) => (runId === null ? early.push(e) : handle(e)));
  const onInterrupt = () => {
    if (runId) void open.service.call('rollout.cancel', { runId }).catch(() => undefined);
  };
  io.signal.addEventListener('abort', onInterrupt, { once: true });
  try {
    runId = (await start()).runId;
    for (const e of early.splice(0)) handle(e);
    if (io.signal.aborted) onInterrupt();
    const state = await ended;
    if (!json) {
      const summary = state.nodes.map((n) => `${n.node}: ${n.phase}${n.toVersion ? ` (${n.fromVersion} → ${n.toVersion})` : ''}`).join(', ');
      io.stdout.write(`run ${state.runId} ${state.status}: ${summary}\n`);
    }
    if (state.status === 'succeeded') return EXIT.ok;
    if (state.status === 'cancelled') {
      const left = state.nodes.filter((n) => n.phase === 'needs-attention').map((n) => n.node);
      io.stderr.write(`flatdeck: run ${state.runId} cancelled; ${left.length ? `left needing attention (resume or hand back): ${left.join(', ')}` : 'this run left no node cordoned'}\n`);
      return io.signal.aborted ? EXIT.interrupted : EXIT.failed;
    }
    const err = state.error;
    const facts = err ? Object.entries(err.facts).filter(([, v]) => v !== null && v !== '').map(([k, v]) => `${k}=${v}`).join(' ') : '';
    io.stderr.write(`flatdeck: ${err?.message ?? 'the run failed'}${facts ? ` [${facts}]` : ''}\n`);
    return EXIT.failed;
  } finally {
    io.signal.removeEventListener('abort', onInterrupt);
    unsubscribe();
  }
}

const UpdateArgs = z
  .object({ values: z.record(z.string(), z.unknown()), positionals: z.array(z.string()).length(1, 'update takes exactly one NODE') })
  .transform(({ values, positionals }) => ({ ...values, node: positionals[0] as string }))
  .pipe(ClusterArgs.and(PipelineFlags).and(z.object({ node: z.string().min(1), 'to-version': z.string().regex(/^\d+\.\d+\.\d+$/, '--to-version takes a Flatcar version like 4459.2.1').optional() })));

export const updateCommand = defineCommand({
  name: 'update',
  help: `usage: flatdeck update NODE [options]

Runs the Flatcar update of one node inside the serialized pipeline: pre-flight checks (listed before
anything changes), update-engine download, the cluster-wide lock, cordon, drain through the Eviction
API, reboot, and the check that the node is back on the new version and Ready; then uncordon.

  --to-version V            exactly release V (flatcar-update --to-version; older than the running one too)
                            instead of the channel's newest; refused unless the release feed lists V

${pipelineOptionsHelp}

${clusterOptionsHelp}

examples:
  flatdeck update worker-3 --context prod
  flatdeck update worker-3 --yes --drain-timeout 5m --on-drain-timeout skip --json
  flatdeck update worker-3 --to-version 4459.2.1

${exitCodeHelp}`,
  options: { ...clusterOptions, ...pipelineOptions, 'to-version': { type: 'string' } },
  allowPositionals: true,
  args: UpdateArgs,
  run: (args, io) =>
    withCluster(args, io, async (open) => {
      const options = updateOptions(args);
      if (!args.yes) {
        const report = await open.service.call('nodes.preflight', { cluster: open.cluster, node: args.node, options });
        io.stderr.write(preflightText(report));
        if (!report.ok) throw new CliError(`Pre-flight failed for ${args.node}: ${report.blockers.find((b) => b.severity !== 'warning')?.message ?? report.errors[0]?.message}`, EXIT.failed);
        if (!(await confirm(io, `Update ${args.node}${args['to-version'] ? ` to exactly ${args['to-version']}` : ''} (cordon, drain, reboot)?`))) return EXIT.failed;
      }
      const toVersion = args['to-version'] ? { toVersion: args['to-version'] } : {};
      return follow(open, io, args.json, () => open.service.call('pipeline.updateNode', { cluster: open.cluster, node: args.node, options, ...toVersion }));
    }),
});

const RolloutArgs = z
  .object({ values: z.record(z.string(), z.unknown()), positionals: z.array(z.string()).max(0, 'rollout takes no positional arguments') })
  .transform(({ values }) => values)
  .pipe(
    ClusterArgs.and(PipelineFlags).and(
      z.object({
        nodes: z.string().optional(),
        all: z.boolean().default(false),
        'machine-deployment': z.string().optional(),
        window: z.string().optional(),
        parallel: z.string().regex(/^\d+$/, '--parallel must be a number').transform(Number).optional(),
        'max-unavailable': z.string().regex(/^\d+$/, '--max-unavailable must be a number').transform(Number).optional(),
        'failure-domain-label': z.string().min(1).optional(),
        order: z.enum(['as-given', 'name', 'oldest-version-first', 'by-zone', 'by-machine-deployment']).optional(),
        canary: z.boolean().default(false),
        'health-command': z.string().min(1).optional(),
        'keep-going': z.boolean().default(false),
        'to-version': z.string().regex(/^\d+\.\d+\.\d+$/, '--to-version takes a Flatcar version like 4459.2.1').optional(),
      }),
    ),
  )
  .refine((a) => [a.nodes !== undefined, a.all, a['machine-deployment'] !== undefined].filter(Boolean).length === 1, {
    message: 'choose exactly one of --nodes a,b | --all | --machine-deployment MD',
  });

export const rolloutCommand = defineCommand({
  name: 'rollout',
  help: `usage: flatdeck rollout (--nodes a,b | --all | --machine-deployment MD) [options]

Pre-flight on every selected node first, then update-engine downloads in parallel (--parallel, default 3)
while lock → cordon → drain → reboot → verify → uncordon runs for at most --max-unavailable nodes at a time
across the cluster (default 1; also against other flatdeck instances and FLUO), never two in one failure
domain. Stops at the first failure unless --keep-going.

  --nodes a,b               these nodes, in this order
  --all                     every Flatcar node
  --machine-deployment MD   the nodes of one MachineDeployment
  --window SPEC             reboot only inside the window, e.g. "Mon,Tue 22:00+3h@Europe/Berlin"
  --parallel N              downloads at once (default 3)
  --max-unavailable K       nodes out of service at once, each in another failure domain (default 1)
  --failure-domain-label L  the Node label naming failure domains (default topology.kubernetes.io/zone)
  --order O                 as-given | name | oldest-version-first | by-zone (zone after zone) |
                            by-machine-deployment (one MachineDeployment after the other)
  --canary                  the first node alone (and its health gate) before the others start
  --health-command CMD      after each node, run CMD over SSH on it; non-zero stops the rollout
  --keep-going              continue with the next node after a failure
  --to-version V            exactly release V (flatcar-update --to-version; older than the running one too)
                            instead of the channel's newest; refused unless the release feed lists V

${pipelineOptionsHelp}

${clusterOptionsHelp}

${exitCodeHelp}`,
  options: {
    ...clusterOptions,
    ...pipelineOptions,
    nodes: { type: 'string' },
    all: { type: 'boolean' },
    'machine-deployment': { type: 'string' },
    window: { type: 'string' },
    parallel: { type: 'string' },
    'max-unavailable': { type: 'string' },
    'failure-domain-label': { type: 'string' },
    order: { type: 'string' },
    'health-command': { type: 'string' },
    'keep-going': { type: 'boolean' },
    'to-version': { type: 'string' },
    canary: { type: 'boolean' },
  },
  args: RolloutArgs,
  run: (args, io) =>
    withCluster(args, io, async (open) => {
      let rebootWindow = null;
      if (args.window) {
        try {
          rebootWindow = parseWindowSpec(args.window);
        } catch (e) {
          throw new CliError(`--window: ${(e as Error).message}`, EXIT.usage);
        }
      }
      const selection: RolloutOptions['selection'] = args.nodes !== undefined
        ? { kind: 'nodes', nodes: args.nodes.split(',').map((s) => s.trim()).filter(Boolean) }
        : args.all ? { kind: 'all-flatcar' } : { kind: 'machine-deployment', name: args['machine-deployment'] as string };
      const options = {
        ...updateOptions(args),
        selection,
        rebootWindow,
        stopOnFailure: !args['keep-going'],
        canary: args.canary,
        ...(args.parallel !== undefined ? { maxParallelDownloads: args.parallel } : {}),
        ...(args['max-unavailable'] !== undefined ? { maxUnavailable: args['max-unavailable'] } : {}),
        ...(args['failure-domain-label'] ? { failureDomainLabel: args['failure-domain-label'] } : {}),
        ...(args.order ? { order: args.order } : {}),
        ...(args['health-command'] ? { healthGate: { kind: 'ssh' as const, command: args['health-command'], timeoutSeconds: 60 } } : {}),
        ...(args['to-version'] ? { toVersion: args['to-version'] } : {}),
      };
      if (!args.yes) {
        const names = selection.kind === 'nodes' ? selection.nodes : (await open.service.call('nodes.list', { cluster: open.cluster })).filter((n) => n.distribution === 'flatcar').map((n) => n.name);
        let ok = true;
        for (const node of names) {
          const report = await open.service.call('nodes.preflight', { cluster: open.cluster, node, options: updateOptions(args) });
          io.stderr.write(preflightText(report));
          ok &&= report.ok;
        }
        if (!ok) throw new CliError('Pre-flight found blockers (listed above); nothing was changed.', EXIT.failed);
        if (!(await confirm(io, `Roll out to ${names.length} node(s)?`))) return EXIT.failed;
      }
      return follow(open, io, args.json, () => open.service.call('rollout.start', { cluster: open.cluster, options }));
    }),
});

/**
 * Right after a crash the dead run's Lease still looks held until it expires: wait for that with a countdown,
 * and refuse only a holder that keeps renewing it past its expiry (that run is alive, not abandoned).
 */
async function untilAbandoned(open: OpenCluster, io: CliIo, runId: string, found: UnfinishedRun[]): Promise<void> {
  const liveOf = (runs: UnfinishedRun[]) => runs.filter((r) => r.runId === runId && !r.leaseExpired);
  let live = liveOf(found);
  const firstExpiry = Math.max(0, ...live.map((r) => r.leaseExpiresInSeconds ?? 0));
  const giveUpAt = Date.now() + (firstExpiry + 10) * 1000;
  let saidAt = 0;
  while (live.length > 0) {
    const holder = live[0]?.instance ?? 'its holder';
    if (Date.now() > giveUpAt) throw new CliError(`Run ${runId} belongs to ${holder}, which keeps renewing its lock: that run is still going, not abandoned.`, EXIT.failed);
    if (Date.now() - saidAt >= 5000) {
      saidAt = Date.now();
      io.stderr.write(`waiting for the lock of ${holder} to expire: ${Math.max(0, ...live.map((r) => r.leaseExpiresInSeconds ?? 0))} s left (a run that is still alive renews it)\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (io.signal.aborted) throw new CliError('interrupted while waiting for the lock to expire; nothing was changed', EXIT.interrupted);
    live = liveOf(await open.service.call('runs.unfinished', { cluster: open.cluster }));
  }
}

const ResumeArgs = z
  .object({ values: z.record(z.string(), z.unknown()), positionals: z.array(z.string()).max(1, 'resume takes at most one RUN_ID') })
  .transform(({ values, positionals }) => ({ ...values, ...(positionals[0] ? { run: positionals[0] } : {}) }))
  .pipe(ClusterArgs.and(PipelineFlags).and(z.object({ run: z.string().optional(), 'hand-back': z.boolean().default(false), list: z.boolean().default(false) })));

export const resumeCommand = defineCommand({
  name: 'resume',
  help: `usage: flatdeck resume [RUN_ID] [--list] [--hand-back] [options]

Finds unfinished runs (this machine's journal, and other instances' marks on the nodes whose lease
expired). Without RUN_ID it takes the only one. Resume continues where the run stopped (waiting for the
old lock to expire); --hand-back instead uncordons what the run cordoned, restores update-engine and
FLUO's reboot-paused, and releases the lock.

  --list         only list unfinished runs
  --hand-back    give the nodes back instead of finishing the update

${pipelineOptionsHelp}

${clusterOptionsHelp}

${exitCodeHelp}`,
  options: { ...clusterOptions, ...pipelineOptions, 'hand-back': { type: 'boolean' }, list: { type: 'boolean' } },
  allowPositionals: true,
  args: ResumeArgs,
  run: (args, io) =>
    withCluster(args, io, async (open) => {
      const runs = await open.service.call('runs.unfinished', { cluster: open.cluster });
      if (args.list || runs.length === 0) {
        if (args.json) io.stdout.write(`${JSON.stringify(runs)}\n`);
        else if (runs.length === 0) io.stdout.write('no unfinished runs\n');
        else for (const r of runs) io.stdout.write(`${r.runId} ${r.node} step=${r.step} since=${r.since} by=${r.instance}${r.cordonedByUs ? ' cordoned-by-it' : ''}${r.ours ? '' : ' (other instance)'}${r.leaseExpired ? '' : ' (its lease is live)'}\n`);
        return EXIT.ok;
      }
      const ids = [...new Set(runs.map((r) => r.runId))];
      const runId = args.run ?? (ids.length === 1 ? ids[0] : undefined);
      if (!runId) throw new CliError(`Several unfinished runs (${ids.join(', ')}); name one.`, EXIT.usage);
      if (!ids.includes(runId)) throw new CliError(`No unfinished run ${runId}.`, EXIT.failed);
      await untilAbandoned(open, io, runId, runs);
      if (args['hand-back']) {
        const { handedBack } = await open.service.call('runs.handBack', { cluster: open.cluster, runId });
        io.stdout.write(args.json ? `${JSON.stringify({ runId, handedBack })}\n` : `handed back ${handedBack.join(', ') || 'nothing'}\n`);
        return EXIT.ok;
      }
      return follow(open, io, args.json, () => open.service.call('runs.resume', { cluster: open.cluster, runId, options: updateOptions(args) }));
    }),
});
