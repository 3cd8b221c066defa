import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { UpdateOptions } from '../../app/api/pipeline.ts';
import { guardedWorld } from './guarded-world.ts';
import { publishNewReleases } from './pipeline-cli.ts';
import { fastRunOptions, maxConcurrentReboots, readSimEvents, simMachine, stepLog } from './pipeline-world.ts';

describe('one node on the simulator', () => {
  const w = guardedWorld({ nodes: 2 });

  it('updates a node end to end: new version, new boot, uncordoned', async () => {
    const engine = w.engine();
    const node = w.sim.nodes[0]!;
    const strict = await engine.preflight(node.name, UpdateOptions.parse({}));
    const refused = strict.blockers.filter((b) => b.severity === 'error').map((b) => `${b.kind} ${b.pod}`);
    if (refused.length) assert.ok(refused.every((r) => /^(unmanaged-pod shop\/debug-shell|emptydir-pod shop\/cache-)/.test(r)), refused.join());
    const report = await engine.preflight(node.name, fastRunOptions);
    assert.equal(report.ok, true, JSON.stringify(report.blockers));
    const run = await engine.start({ kind: 'single', nodes: [node.name], options: fastRunOptions });
    const state = await run.done;
    const steps = stepLog(w.events);
    assert.equal(state.status, 'succeeded', `${JSON.stringify(state.error)}\n${steps.join('\n')}`);
    const sizes = w.events.flatMap((e) => (e.topic === 'step' && e.payload.detail.op === 'UPDATE_STATUS_DOWNLOADING' ? [e.payload.detail.newSize] : []));
    assert.ok(sizes.length > 0 && sizes.every((b) => typeof b === 'number' && b > 0), `download progress carries NEW_SIZE from -status: ${sizes.join()}`);
    const core = w.kc.makeApiClient(CoreV1Api);
    const n = await core.readNode({ name: node.name });
    assert.notEqual(n.spec?.unschedulable, true);
    const machine = simMachine(w.sim, node.name);
    assert.equal(machine.osRelease().versionId, state.nodes[0]?.toVersion ?? state.nodes[0]?.fromVersion);
    assert.ok(maxConcurrentReboots(readSimEvents(w.sim.eventsPath)) <= 1);
  });

  it('respects FLUO: waits while another node is reboot-in-progress, pauses FLUO on its own node, restores it', async () => {
    publishNewReleases(w.sim);
    const core = w.kc.makeApiClient(CoreV1Api);
    const [mine, other] = [w.sim.nodes[0]!.name, w.sim.nodes[1]!.name];
    const fluo = 'flatcar-linux-update.v1.flatcar-linux.net/';
    const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
    const annotate = (node: string, annotations: Record<string, string | null>) =>
      core.patchNode({ name: node, body: { metadata: { annotations } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await annotate(other, { [`${fluo}reboot-in-progress`]: 'true' });
    const engine = w.engine();
    const run = await engine.start({ kind: 'single', nodes: [mine], options: fastRunOptions });
    let pausedWhileWaiting: string | undefined;
    let clearedAt = 0;
    const watcher = setInterval(async () => {
      const waiting = w.events.some((e) => e.topic === 'rollout' && e.payload.runId === run.runId && /FLUO is rebooting node/.test(e.payload.waitingFor ?? ''));
      if (waiting && !clearedAt) {
        clearedAt = Date.now();
        pausedWhileWaiting = (await core.readNode({ name: mine })).metadata?.annotations?.[`${fluo}reboot-paused`];
        await annotate(other, { [`${fluo}reboot-in-progress`]: 'false' });
      }
    }, 100);
    const state = await run.done;
    clearInterval(watcher);
    assert.equal(state.status, 'succeeded', JSON.stringify(state.error));
    assert.ok(clearedAt > 0, 'the run waited for FLUO');
    assert.equal(pausedWhileWaiting, 'true', 'FLUO paused on our node during the manual run');
    const reboots = readSimEvents(w.sim.eventsPath).filter((e) => e.node === mine && e.kind === 'reboot-start');
    assert.ok(reboots.length > 0 && Date.parse(reboots.at(-1)!.ts) > clearedAt, 'our reboot came only after FLUO finished');
    assert.equal((await core.readNode({ name: mine })).metadata?.annotations?.[`${fluo}reboot-paused`], undefined, 'reboot-paused restored (absent)');
  });
});
