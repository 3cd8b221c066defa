// Rollout time of time-scaled simulated nodes against the physical floor, in one run:
//   flatdeck     the pipeline (downloads in parallel, then lock → … → release for K nodes at a time)
//   lower bound  from the simulated cluster's own times (events.jsonl and a watch of its API server, never
//                flatdeck's steps): the longest download, then per node pods terminating until gone,
//                reboot-start → up, up → Ready; K node cycles side by side at best (bench/cluster-times.ts)
//   seed         (--manual) the manual procedure node after node (grep, unmask, start, check, poll -status,
//                reboot, wait), no cordon, no drain
// Prints figures and ratios; asserts nothing.
//   npx tsx bench/rollout.ts [--nodes 10] [--time-scale 0.1] [--zones 3] [--max-unavailable 1,3] [--manual]
import { parseArgs } from 'node:util';
import { RolloutOptions } from '../app/api/pipeline.ts';
import { parseBootId, readBootId } from '../app/flatcar/boot-id.ts';
import { toShellLine } from '../app/flatcar/command.ts';
import { grepVersionId } from '../app/flatcar/os-release.ts';
import { systemctl } from '../app/flatcar/systemctl.ts';
import { parseUpdateEngineStatus, updateEngineClient } from '../app/flatcar/update-engine.ts';
import { readEvents } from '../sim/fleet/reboot-intervals.ts';
import { publishNewReleases } from '../test/integration/pipeline-cli.ts';
import { startWorld, type World } from '../test/integration/pipeline-world.ts';
import { loopbackBlock } from '../test/support/loopback.ts';
import { lowerBound, watchClusterTimes } from './cluster-times.ts';
import { nodeTurns, overheadTable } from './overhead.ts';

const block = loopbackBlock();

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10' },
    'time-scale': { type: 'string', default: '0.1' },
    zones: { type: 'string' },
    'max-unavailable': { type: 'string', default: '1' },
    manual: { type: 'boolean', default: false },
  },
});
const nodes = Number(values.nodes);
const timeScale = Number(values['time-scale']);
const zones = values.zones === undefined ? undefined : Number(values.zones);
const ks = values['max-unavailable'].split(',').map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One flatdeck rollout of every node with K at a time; its time and the floor the cluster's own times set. */
async function flatdeckRollout(w: World, k: number): Promise<number> {
  publishNewReleases(w.sim);
  const times = await watchClusterTimes(w.kc);
  const t0 = Date.now();
  const run = await w.engine().startRollout(
    RolloutOptions.parse({
      emptyDirPolicy: 'delete',
      unmanagedPodPolicy: 'delete',
      settleSeconds: 0,
      restoreAfterBootSeconds: 1,
      leaseDurationSeconds: 5,
      selection: { kind: 'all-flatcar' },
      maxParallelDownloads: nodes,
      maxUnavailable: k,
      stopOnFailure: false,
    }),
  );
  const state = await run.done;
  const t1 = Date.now();
  await sleep(500);
  times.stop();
  const flatdeckMs = t1 - t0;
  const simEvents = readEvents(w.sim.eventsPath);
  const { boundMs, downloadMs, cycles } = lowerBound(simEvents, times, t0, t1, k);
  const turns = nodeTurns(simEvents, times, w.events, run.runId, t0, t1);
  const first = turns.reduce<(typeof turns)[number] | undefined>((a, t) => (t.lockStarted !== null && (a?.lockStarted == null || t.lockStarted < a.lockStarted) ? t : a), undefined);
  const firstTurn = first?.lockStarted ?? t1;
  const lastRelease = Math.max(...turns.map((t) => t.released ?? t0));
  const engine = simEvents.filter((e) => e.kind === 'update-engine' && Date.parse(e.ts) >= t0 && Date.parse(e.ts) <= t1);
  const downloadsStart = Math.min(t1, ...engine.map((e) => Date.parse(e.ts)));
  const firstStaged = engine.find((e) => e.node === first?.node && e.to === 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
  const sum = (f: (c: (typeof cycles)[number]) => number) => cycles.reduce((a, c) => a + f(c), 0);
  const updated = state.nodes.filter((n) => n.phase === 'done').length;
  console.log(`flatdeck rollout, K=${k}: ${nodes} nodes${zones ? ` in ${zones} zones` : ''}, time scale ${timeScale} (status ${state.status}; ${updated} updated, ${cycles.length} reboots seen)`);
  const why = new Map<string, number>();
  for (const reason of state.nodes.flatMap((n) => (n.error ? [`${n.error.kind}: ${n.error.message.slice(0, 160)}`] : []))) why.set(reason, (why.get(reason) ?? 0) + 1);
  for (const [reason, count] of why) console.log(`  not updated (${count} nodes): ${reason}`);
  console.log(`  flatdeck                 ${s(flatdeckMs)}`);
  console.log(`  lower bound (events)     ${s(boundMs)}  (longest download ${s(downloadMs)}; per node Σ evictions ${s(sum((c) => c.evictMs))}, reboot-start→up ${s(sum((c) => c.rebootMs))}, up→Ready ${s(sum((c) => c.readyMs))}${k > 1 ? `, ÷ K` : ''})`);
  console.log(`  flatdeck / lower bound   ${(flatdeckMs / boundMs).toFixed(3)}`);
  console.log(`  overhead per node        ${s((flatdeckMs - boundMs) / Math.max(1, updated))}`);
  for (const line of overheadTable(turns, [
    { label: 'run start → first turn, beyond the longest download', ms: firstTurn - t0 - downloadMs },
    { label: '  of it: run start → first download (pre-flight, set-up)', ms: downloadsStart - t0 },
    { label: '  of it: first node staged → its turn starts', ms: firstStaged ? firstTurn - Date.parse(firstStaged.ts) : 0 },
    { label: 'last lock released → run end', ms: t1 - lastRelease },
  ])) console.log(line);
  return flatdeckMs;
}

/** The seed's procedure, node after node, over the same SSH pool (no cordon, no drain). */
async function manualProcedure(w: World): Promise<number> {
  publishNewReleases(w.sim);
  const t1 = Date.now();
  for (const n of w.sim.nodes) {
    const target = { nodeName: n.name, host: n.address };
    await w.pool.exec(target, toShellLine(grepVersionId()));
    await w.pool.exec(target, toShellLine(systemctl.unmask('update-engine.service')));
    await w.pool.exec(target, toShellLine(systemctl.start('update-engine.service')));
    await w.pool.exec(target, toShellLine(updateEngineClient.checkForUpdate()));
    let op = '';
    for (let i = 0; i < 600 && op !== 'UPDATE_STATUS_UPDATED_NEED_REBOOT'; i++) {
      await sleep(1000);
      op = parseUpdateEngineStatus((await w.pool.exec(target, toShellLine(updateEngineClient.status()))).stdout).currentOp;
      if (op === 'UPDATE_STATUS_IDLE' && i > 3) break;
    }
    if (op !== 'UPDATE_STATUS_UPDATED_NEED_REBOOT') continue;
    const before = parseBootId((await w.pool.exec(target, toShellLine(readBootId()))).stdout);
    await w.pool.exec(target, toShellLine(systemctl.reboot())).catch(() => undefined);
    w.pool.drop(target);
    for (;;) {
      await sleep(500);
      try {
        if (parseBootId((await w.pool.exec(target, toShellLine(readBootId()), { timeoutMs: 3000 })).stdout) !== before) break;
      } catch {
        w.pool.drop(target);
      }
    }
  }
  return Date.now() - t1;
}

const w = await startWorld({ nodes, addressBase: block.base, timeScale, ...(zones ? { zones } : {}) });
try {
  // Let the workload settle before measuring (PDBs need their pods Ready).
  await sleep(3000);
  let flatdeckMs = 0;
  for (const k of ks) flatdeckMs = await flatdeckRollout(w, k);
  if (values.manual) {
    const seedMs = await manualProcedure(w);
    console.log(`seed's manual procedure, node after node (no drain): ${s(seedMs)}; flatdeck K=${ks.at(-1)} / seed ${(flatdeckMs / seedMs).toFixed(2)}`);
  }
} finally {
  await w.stop();
}
