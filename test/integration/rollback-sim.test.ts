// Flatcar's manual rollback through flatdeck's pipeline on the simulator: the other USR partition's release
// boots after a drained reboot, an update staged there is discarded without a reboot, and a partition that
// never booted successfully is refused before anything changes. The fleet invariants hold after each case.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck } from './pipeline-cli.ts';
import { fastRunOptions, readSimEvents, rebootsStarted, simMachine, stepLog } from './pipeline-world.ts';

describe('rollback to the other USR partition on the simulator', () => {
  const w = guardedWorld({ nodes: 3, profile: 'mixed' });

  const machine = (name: string) => simMachine(w.sim, name);
  const steps = () => stepLog(w.events);

  it('boots the release on the other partition after cordon, drain and reboot, and can go forward again', async () => {
    const engine = w.engine();
    const before = await engine.usrPartitions('worker-2');
    assert.deepEqual({ booted: before.booted.version, other: before.other.version, rollback: before.rollback }, { booted: '4757.2.0', other: '4593.2.0', rollback: { kind: 'rollback', version: '4593.2.0' } });
    const bootIdBefore = machine('worker-2').bootId();

    const state = await (await engine.start({ kind: 'single', nodes: ['worker-2'], options: fastRunOptions, action: 'rollback' })).done;
    assert.equal(state.status, 'succeeded', `${JSON.stringify(state.error)}\n${steps().join('\n')}`);
    assert.deepEqual({ from: state.nodes[0]?.fromVersion, to: state.nodes[0]?.toVersion }, { from: '4757.2.0', to: '4593.2.0' });
    assert.equal(machine('worker-2').osRelease().versionId, '4593.2.0');
    assert.notEqual(machine('worker-2').bootId(), bootIdBefore);
    const node = await w.kc.makeApiClient(CoreV1Api).readNode({ name: 'worker-2' });
    assert.notEqual(node.spec?.unschedulable, true, 'uncordoned after the rollback');

    const events = readSimEvents(w.sim.eventsPath).filter((e) => e.node === 'worker-2');
    const order = events.filter((e) => e.kind === 'boot-order' || e.kind === 'reboot-start');
    assert.equal(order.filter((e) => e.kind === 'reboot-start').length, 1, 'one reboot');
    assert.deepEqual(order.slice(-2).map((e) => [e.kind, e.to]), [['boot-order', '4593.2.0'], ['reboot-start', 'shutting-down']], 'the other partition boots next when the reboot starts');
    // update_engine's one-time flatcar-setgoodroot (45 s after it started) may put the booted partition first again
    // between the two; flatdeck then says so and prioritizes the other one again
    const again = w.events.filter((e) => e.topic === 'step' && /flatcar-setgoodroot\); prioritizing USR-A \(4593\.2\.0\) again/.test(e.payload.message)).length;
    assert.equal(order.filter((e) => e.kind === 'boot-order').length, 1 + again);
    const seen = steps();
    const at = (step: string) => seen.findIndex((s) => s.startsWith(`${step}:succeeded`));
    assert.ok(at('cordon') < at('drain') && at('drain') < at('reboot') && at('reboot') < at('verify') && at('verify') < at('uncordon'), seen.join('\n'));

    const afterwards = await engine.usrPartitions('worker-2');
    assert.deepEqual(afterwards.rollback, { kind: 'rollback', version: '4757.2.0' }, 'the release it left stays on the other partition');
  });

  it('flatdeck rollback NODE shows the previous release and rolls back through the pipeline, and a second rollback goes forward again', async () => {
    const dataDir = cliDataDir(w);
    const run = flatdeck(w.sim, dataDir, ['rollback', 'worker-1', ...fastFlags]);
    const { code } = await finished(run);
    assert.equal(code, 0, `${run.lines.slice(-15).join('\n')}\n${run.stderr()}`);
    assert.match(run.stderr(), /worker-1: running 4459\.2\.1 \(USR-B, \/dev\/sda4\)\n {2}other partition USR-A \(\/dev\/sda3\): 3510\.2\.8; next boot: USR-B\n {2}previous: 3510\.2\.8 \(other partition\)/);
    assert.match(run.lines.join('\n'), /worker-1 +verify +succeeded .*back on 3510\.2\.8/);
    assert.equal(machine('worker-1').osRelease().versionId, '3510.2.8');

    // 3510.2.8 is where this machine started: its other partition now holds 4459.2.1 (successful), so that is
    // what a second rollback would boot; a machine that was never updated has nothing there
    const again = flatdeck(w.sim, dataDir, ['rollback', 'worker-1', '--json', ...fastFlags]);
    assert.equal((await finished(again)).code, 0, again.stderr());
    assert.equal(machine('worker-1').osRelease().versionId, '4459.2.1');
  });

  it('discards an update staged on the other partition without a reboot, and then refuses to boot that never-booted release', async () => {
    const engine = w.engine();
    assert.deepEqual((await engine.usrPartitions('worker-3')).rollback, { kind: 'rollback', version: '4593.1.1' });
    const ops = engine.deps.flatcarNode('worker-3', null);
    await ops.setUnit('update-engine.service', 'unmask');
    await ops.setUnit('update-engine.service', 'start');
    await ops.checkForUpdate();
    for (let i = 0; i < 600 && (await ops.status()).op !== 'UPDATE_STATUS_UPDATED_NEED_REBOOT'; i++) await new Promise((r) => setTimeout(r, 100));
    const staged = await engine.usrPartitions('worker-3');
    assert.deepEqual({ next: staged.nextBoot, rollback: staged.rollback }, { next: 'other', rollback: { kind: 'discard-staged', version: '4803.1.0' } });
    const reboots = () => rebootsStarted(w.sim, 'worker-3');
    const rebootsBefore = reboots();

    const state = await (await engine.start({ kind: 'single', nodes: ['worker-3'], options: fastRunOptions, action: 'rollback' })).done;
    assert.equal(state.status, 'succeeded', `${JSON.stringify(state.error)}\n${steps().join('\n')}`);
    assert.equal(state.nodes[0]?.phase, 'current');
    assert.equal(reboots(), rebootsBefore, 'discarding needs no reboot');
    assert.equal(machine('worker-3').snapshot().nextBootVersion, null, 'the booted release boots next');
    assert.equal((await ops.status()).op, 'UPDATE_STATUS_IDLE');

    const now = await engine.usrPartitions('worker-3');
    assert.equal(now.rollback.kind, 'impossible');
    assert.match(now.rollback.kind === 'impossible' ? now.rollback.reason : '', /holds 4803\.1\.0, which never booted successfully/);
    const refused = await (await engine.start({ kind: 'single', nodes: ['worker-3'], options: fastRunOptions, action: 'rollback' })).done;
    assert.equal(refused.status, 'failed');
    assert.match(refused.error?.message ?? '', /worker-3 cannot be rolled back: .*never booted successfully/);
    assert.equal(machine('worker-3').snapshot().nextBootVersion, null);
    assert.equal(reboots(), rebootsBefore);

    const cli = flatdeck(w.sim, cliDataDir(w), ['rollback', 'worker-3', ...fastFlags]);
    assert.equal((await finished(cli)).code, 1);
    assert.match(cli.stderr(), /flatdeck rollback: worker-3 cannot be rolled back: the other USR partition \(USR-[AB], \/dev\/sda[34]\) holds 4803\.1\.0, which never booted successfully/);
    assert.equal(reboots(), rebootsBefore, 'refused before anything changed');
  });
});
