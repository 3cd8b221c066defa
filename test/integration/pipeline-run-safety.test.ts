import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { UpdateOptions, type RolloutState } from '../../app/api/pipeline.ts';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck, publishNewReleases } from './pipeline-cli.ts';
import { readSimEvents, simMachine } from './pipeline-world.ts';
import { waitFor } from '../support/wait-for.ts';

const options = (extra: Partial<UpdateOptions> = {}) =>
  UpdateOptions.parse({ emptyDirPolicy: 'delete', unmanagedPodPolicy: 'delete', settleSeconds: 0, restoreAfterBootSeconds: 2, leaseDurationSeconds: 3, rebootTimeoutSeconds: 30, drainTimeoutSeconds: 60, ...extra });

/** The stop-after-download, two-runs-on-one-node and resume-flag cases of the safety issue, on the simulator. */
describe('run safety on the simulator', () => {
  const w = guardedWorld({ nodes: 4 });

  const annotations = async (node: string) => (await w.kc.makeApiClient(CoreV1Api).readNode({ name: node })).metadata?.annotations ?? {};
  const events = (node: string, kind: string) => readSimEvents(w.sim.eventsPath).filter((e) => e.node === node && e.kind === kind);

  /** An unplanned reboot (a panic, the hypervisor): no drain, no flatdeck; waits until the node is up again. */
  async function unplannedReboot(node: string): Promise<void> {
    const machine = simMachine(w.sim, node);
    const ups = events(node, 'up').length;
    machine.requestReboot('panic');
    await waitFor(`${node} up after an unplanned reboot`, () => events(node, 'up').length > ups && machine.isUp(), { timeoutMs: 30_000 });
  }

  it('a run cancelled after the download keeps the update staged and visible, and the node keeps that version over later reboots', async () => {
    const wanted = publishNewReleases(w.sim);
    const node = w.sim.nodes[0]!.name;
    const machine = simMachine(w.sim, node);
    const from = machine.bootedVersion();
    const engine = w.engine();
    const run = await engine.start({ kind: 'single', nodes: [node], options: options() });
    await waitFor('the download to finish', () => w.events.some((e) => e.topic === 'step' && e.payload.runId === run.runId && e.payload.step === 'update' && e.payload.status === 'succeeded'), { timeoutMs: 60_000 });
    run.control.cancel();
    const state = await run.done;

    assert.equal(state.status, 'cancelled');
    const target = wanted[machine.channel()]!;
    assert.equal(state.nodes[0]?.phase, 'needs-attention');
    assert.match(state.nodes[0]?.attention.join(' ') ?? '', new RegExp(`boots ${target.replaceAll('.', '\\.')} at its next reboot`));
    const marks = await annotations(node);
    assert.match(marks['flatdeck.io/needs-attention'] ?? '', /at its next reboot/, 'the Node says so for every instance');
    assert.equal(marks['flatdeck.io/to-version'], target);
    assert.match((await engine.preflight(node, options())).updateEngineUnit ?? '', /,active$/, 'update-engine left running to mark the new boot good');

    const markedGood = events(node, 'boot-marked-good').length;
    await unplannedReboot(node);
    assert.equal(machine.bootedVersion(), target, 'the staged update boots, as the mark said');
    await waitFor(`update-engine to mark ${node}'s new boot good`, () => events(node, 'boot-marked-good').length > markedGood, { timeoutMs: 30_000 });
    await unplannedReboot(node);
    assert.equal(machine.bootedVersion(), target, `no fall back to ${from} on the reboot after`);
  });

  it('a run cancelled after the download with --staged-update discard leaves the node booting its version', async () => {
    publishNewReleases(w.sim);
    const node = w.sim.nodes[3]!.name;
    const machine = simMachine(w.sim, node);
    const from = machine.bootedVersion();
    const engine = w.engine();
    const originally = (await engine.preflight(node, options())).updateEngineUnit;
    const run = await engine.start({ kind: 'single', nodes: [node], options: options({ stagedUpdateOnStop: 'discard' }) });
    await waitFor('the download to finish', () => w.events.some((e) => e.topic === 'step' && e.payload.runId === run.runId && e.payload.step === 'update' && e.payload.status === 'succeeded'), { timeoutMs: 60_000 });
    run.control.cancel();
    const state = await run.done;

    assert.equal(state.status, 'cancelled');
    assert.equal(state.nodes[0]?.phase, 'skipped');
    assert.deepEqual(state.nodes[0]?.attention, []);
    assert.deepEqual(Object.keys(await annotations(node)).filter((k) => k.startsWith('flatdeck.io/')), [], 'nothing left on the Node');
    assert.equal((await engine.preflight(node, options())).updateEngineUnit, originally, 'update-engine put back as it was');
    await unplannedReboot(node);
    assert.equal(machine.bootedVersion(), from, 'the discarded update never boots');
  });

  it('two runs on one node: one updates it, the other finds it current; update-engine ends as it was, and the new boot stays', async () => {
    publishNewReleases(w.sim);
    const node = w.sim.nodes[1]!.name;
    const machine = simMachine(w.sim, node);
    const a = w.engine({ dataDir: cliDataDir(w, { prefix: 'a-' }), holder: 'ann@desk#a' });
    const b = w.engine({ dataDir: cliDataDir(w, { prefix: 'b-' }), holder: 'bob@laptop#b' });
    const originally = (await a.preflight(node, options())).updateEngineUnit;
    const markedGood = events(node, 'boot-marked-good').length;
    const runs = await Promise.all([a.start({ kind: 'single', nodes: [node], options: options() }), b.start({ kind: 'single', nodes: [node], options: options() })]);
    const [sa, sb] = (await Promise.all(runs.map((r) => r.done))) as [RolloutState, RolloutState];

    assert.deepEqual([sa.status, sb.status], ['succeeded', 'succeeded'], JSON.stringify([sa.error, sb.error]));
    assert.deepEqual([sa.nodes[0]?.phase, sb.nodes[0]?.phase].sort(), ['current', 'done']);
    const rebootsByRuns = events(node, 'reboot-start').filter((e) => (e as { by?: unknown }).by === 'systemctl');
    assert.equal(rebootsByRuns.length, 1, 'rebooted once');
    assert.equal((await a.preflight(node, options())).updateEngineUnit, originally, 'update-engine put back as it was, by the run that changed it');
    // had a run masked update-engine before it marked the new boot good, this would never come
    await waitFor(`update-engine to mark ${node}'s new boot good`, () => events(node, 'boot-marked-good').length > markedGood, { timeoutMs: 30_000 });
    const version = machine.bootedVersion();
    await unplannedReboot(node);
    assert.equal(machine.bootedVersion(), version, 'the new boot stays');
  });

  it('resume honours the pipeline flags it is given', async () => {
    publishNewReleases(w.sim);
    const node = w.sim.nodes[2]!.name;
    const dataDir = cliDataDir(w, { prefix: 'resume-' });
    const killed = flatdeck(w.sim, dataDir, ['update', node, '--json', ...fastFlags]);
    await waitFor('the run to reach the lock step', () => killed.lines.some((l) => /"step":"lock","status":"started"/.test(l)), { timeoutMs: 60_000 });
    killed.child.kill('SIGKILL');
    await killed.exit;

    const runId = /"runId":"([^"]+)"/.exec(killed.lines.find((l) => l.includes('"runId"')) ?? '')?.[1];
    assert.ok(runId, 'the killed run printed its id');
    const resume = flatdeck(w.sim, dataDir, ['resume', runId, ...fastFlags, '--settle', '2s']);
    const { code } = await finished(resume);
    assert.equal(code, 0, `${resume.lines.slice(-30).join('\n')}\n${resume.stderr()}`);
    assert.ok(resume.lines.some((l) => /settle\s+started\s+Letting the cluster settle for 2 s/.test(l)), `the resumed run settles 2 s, not the 0 s the killed run chose:\n${resume.lines.filter((l) => /settle/.test(l)).join('\n')}`);
  });
});
