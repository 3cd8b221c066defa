// An Ubuntu worker left in a mixed fleet, rebooted the way kured would but through flatdeck's serialized
// pipeline: it needs a reboot (/var/run/reboot-required with its .pkgs list), flatdeck cordons and drains it,
// reboots it with systemctl, sees it back by boot ID + Ready and uncordons it; the sentinel is gone after the
// boot. A node that no longer needs one, and a Flatcar node, are refused before anything changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { ApiError } from '../../app/api/errors.ts';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck, nodesRow } from './pipeline-cli.ts';
import { fastRunOptions, readSimEvents, rebootsStarted, simMachine, stepLog } from './pipeline-world.ts';

describe('rebooting an Ubuntu node that needs it, on the simulator', () => {
  const w = guardedWorld({ nodes: 6, profile: 'mixed' });

  const machine = (name: string) => simMachine(w.sim, name);
  const core = () => w.kc.makeApiClient(CoreV1Api);
  /** worker-6 as `flatdeck nodes --ssh --json` lists it (the GUI's table reads the same nodes.refreshLive). */
  const listed = () => nodesRow(w.sim, cliDataDir(w), 'worker-6', ['--ssh']);
  const stepLines = () => stepLog(w.events);

  it('is an Ubuntu 22.04 node without update_engine that asks for a reboot for its new kernel', async () => {
    const node = await core().readNode({ name: 'worker-6' });
    assert.equal(node.status?.nodeInfo?.osImage, 'Ubuntu 22.04.5 LTS');
    const engine = w.engine();
    assert.deepEqual(await engine.rebootRequired('worker-6'), { required: true, packages: ['linux-image-5.15.0-127-generic', 'linux-base'], machineDeployment: null });
    const ops = engine.deps.flatcarNode('worker-6', null);
    assert.equal(await ops.versionId(), '22.04');
    await assert.rejects(ops.status(), (err: unknown) => err instanceof ApiError && /does not exist on the node/.test(err.message) && /update_engine_client: command not found/.test(String(err.facts.stderr)));
    const row = await listed();
    assert.deepEqual([row?.os, row?.channel, row?.update.word, row?.error], ['ubuntu', null, 'Reboot needed', null], 'listed as Ubuntu needing a reboot, read over SSH');
  });

  it('drains it first, reboots it, sees it back Ready on a new boot, uncordons it, and the sentinel is gone', async () => {
    const engine = w.engine();
    const podsBefore = (await core().listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=worker-6' })).items.filter((p) => !p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet'));
    assert.ok(podsBefore.length > 0, 'the node runs pods that the drain must move');
    const bootIdBefore = machine('worker-6').bootId();

    const state = await (await engine.startReboot('worker-6', fastRunOptions, false)).done;
    assert.equal(state.status, 'succeeded', `${JSON.stringify(state.error)}\n${stepLines().join('\n')}`);
    assert.equal(state.nodes[0]?.phase, 'done');
    assert.notEqual(machine('worker-6').bootId(), bootIdBefore);
    assert.equal(machine('worker-6').kernelVersion(), '5.15.0-127-generic', 'booted the kernel that asked for the reboot');

    const seen = stepLines();
    const at = (step: string) => seen.findIndex((s) => s.startsWith(`${step}:succeeded`));
    assert.match(seen[at('update')] ?? '', /worker-6 needs a reboot for 2 packages: linux-image-5\.15\.0-127-generic, linux-base/);
    assert.ok(at('preflight') < at('lock') && at('lock') < at('cordon') && at('cordon') < at('drain') && at('drain') < at('reboot') && at('reboot') < at('verify') && at('verify') < at('uncordon'), seen.join('\n'));
    assert.ok(!seen.some((s) => /update_engine|update-engine/.test(s)), `no update_engine step on Ubuntu:\n${seen.join('\n')}`);

    const events = readSimEvents(w.sim.eventsPath).filter((e) => e.node === 'worker-6');
    assert.equal(events.filter((e) => e.kind === 'reboot-start').length, 1, 'one reboot');
    const node = await core().readNode({ name: 'worker-6' });
    assert.notEqual(node.spec?.unschedulable, true, 'uncordoned');
    assert.equal(node.status?.nodeInfo?.bootID, machine('worker-6').bootId());
    const left = (await core().listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=worker-6' })).items.filter((p) => podsBefore.some((b) => b.metadata?.uid === p.metadata?.uid));
    assert.deepEqual(left.map((p) => p.metadata?.name), [], 'the pods it ran were moved off before the reboot');
    assert.deepEqual(await engine.rebootRequired('worker-6'), { required: false, packages: [], machineDeployment: null }, '/var/run is tmpfs: the sentinel is gone after the boot');
    assert.equal((await listed())?.update.word, 'Idle', 'listed as needing no reboot any more');
  });

  it('flatdeck reboot refuses the Ubuntu node that no longer needs a reboot, and a Flatcar node, changing nothing', async () => {
    const reboots = () => rebootsStarted(w.sim);
    const rebootsBefore = reboots();
    const dataDir = cliDataDir(w);

    const again = flatdeck(w.sim, dataDir, ['reboot', 'worker-6', ...fastFlags]);
    assert.equal((await finished(again)).code, 1, again.stderr());
    assert.match(again.stderr(), /worker-6: Ubuntu, no reboot required \(no \/var\/run\/reboot-required\)\n {2}Ubuntu is no longer supported for worker nodes: migrate its MachineDeployment to Flatcar \(`flatdeck md migrate-flatcar MD`\)/);
    assert.match(again.stderr(), /worker-6 does not need a reboot \(no \/var\/run\/reboot-required\); pass --force to reboot it anyway/);

    const flatcar = flatdeck(w.sim, dataDir, ['reboot', 'worker-2', ...fastFlags]);
    assert.notEqual((await finished(flatcar)).code, 0);
    assert.match(flatcar.stderr(), /worker-2 is not an Ubuntu node: Flatcar nodes reboot through `flatdeck update` \(into a staged release\) or `flatdeck rollback`/);
    assert.equal(reboots(), rebootsBefore, 'refused before anything changed');
    assert.notEqual((await core().readNode({ name: 'worker-2' })).spec?.unschedulable, true);
  });

  it('flatdeck reboot --force reboots it anyway through the same pipeline', async () => {
    const bootIdBefore = machine('worker-6').bootId();
    const run = flatdeck(w.sim, cliDataDir(w), ['reboot', 'worker-6', '--force', ...fastFlags]);
    assert.equal((await finished(run)).code, 0, `${run.lines.slice(-15).join('\n')}\n${run.stderr()}`);
    assert.match(run.lines.join('\n'), /worker-6 +drain +succeeded/);
    assert.match(run.lines.join('\n'), /worker-6 +uncordon +succeeded/);
    assert.notEqual(machine('worker-6').bootId(), bootIdBefore);
  });
});
