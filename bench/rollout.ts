// Rollout time of 10 time-scaled simulated nodes, three ways, in one run:
//   flatdeck    the pipeline (downloads in parallel, drain/reboot one node at a time)
//   lower bound max(download) + Σ(drain + reboot + ready), from the step durations this very run measured
//   seed        the manual procedure node after node (grep, unmask, start, check, poll -status, reboot, wait)
// Prints figures and ratios; asserts nothing. Usage: npx tsx bench/rollout.ts [--nodes 10] [--time-scale 0.02]
import { parseArgs } from 'node:util';
import { UpdateOptions } from '../app/api/pipeline.ts';
import { parseBootId, readBootId } from '../app/flatcar/boot-id.ts';
import { toShellLine } from '../app/flatcar/command.ts';
import { grepVersionId } from '../app/flatcar/os-release.ts';
import { systemctl } from '../app/flatcar/systemctl.ts';
import { parseUpdateEngineStatus, updateEngineClient } from '../app/flatcar/update-engine.ts';
import { publishNewReleases } from '../test/integration/pipeline-cli.ts';
import { startWorld } from '../test/integration/pipeline-world.ts';
import { loopbackBlock } from '../test/support/loopback.ts';

const block = loopbackBlock();

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '10' }, 'time-scale': { type: 'string', default: '0.02' } } });
const nodes = Number(values.nodes);
const timeScale = Number(values['time-scale']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const w = await startWorld({ nodes, addressBase: block.base, timeScale });
try {
  // Let the workload settle before measuring (PDBs need their pods Ready).
  await sleep(3000);
  publishNewReleases(w.sim);
  const engine = w.engine();
  const t0 = Date.now();
  const run = await engine.startRollout({
    ...UpdateOptions.parse({ emptyDirPolicy: 'delete', unmanagedPodPolicy: 'delete', settleSeconds: 0, restoreAfterBootSeconds: 1, leaseDurationSeconds: 5 }),
    selection: { kind: 'all-flatcar' },
    order: 'as-given',
    maxParallelDownloads: nodes,
    rebootWindow: null,
    healthGate: null,
    stopOnFailure: false,
  });
  const state = await run.done;
  const flatdeckMs = Date.now() - t0;
  const durations = new Map<string, Record<string, number>>();
  for (const e of w.events) {
    if (e.topic !== 'step' || e.payload.runId !== run.runId || e.payload.status !== 'succeeded' || e.payload.durationMs === null) continue;
    const d = durations.get(e.payload.node) ?? {};
    d[e.payload.step] = e.payload.durationMs;
    durations.set(e.payload.node, d);
  }
  const maxDownload = Math.max(0, ...[...durations.values()].map((d) => d.update ?? 0));
  const serial = [...durations.values()].reduce((s, d) => s + (d.drain ?? 0) + (d.reboot ?? 0) + (d.verify ?? 0), 0);
  const lowerBoundMs = maxDownload + serial;

  // The seed's procedure, node after node, over the same SSH pool (no cordon, no drain).
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
  const seedMs = Date.now() - t1;

  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`rollout of ${nodes} nodes, time scale ${timeScale} (status ${state.status}; ${state.nodes.filter((n) => n.phase === 'done').length} updated)`);
  console.log(`  flatdeck rollout         ${s(flatdeckMs)}`);
  console.log(`  lower bound              ${s(lowerBoundMs)}  (max download ${s(maxDownload)} + Σ drain+reboot+ready ${s(serial)})`);
  console.log(`  seed sequential (no drain) ${s(seedMs)}`);
  console.log(`  flatdeck / lower bound   ${(flatdeckMs / lowerBoundMs).toFixed(2)}`);
  console.log(`  flatdeck / seed          ${(flatdeckMs / seedMs).toFixed(2)}`);
} finally {
  await w.stop();
}
