// flatdeck on Flatcar as it ships and as Kubermatic leaves it (the simulator's `mixed` profile: two Kubermatic-masked
// nodes, one FLUO-ready, the rest stock), through the CLI as an operator runs it: locksmithd, which reboots a stock
// node the moment an update is staged, never gets to reboot a node flatdeck is updating; an update staged before
// update-engine restarted (NEW_VERSION=0.0.0 from then on) is updated and verified by VERSION_ID; SERVER=disabled
// is lifted for the run and put back exactly.
import assert from 'node:assert/strict';
import { CoordinationV1Api, CoreV1Api, V1MicroTime } from '@kubernetes/client-node';
import { before, describe, it } from 'node:test';
import type { SimNode } from '../../sim/fleet/node.ts';
import { maxConcurrentReboots, readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { waitFor } from '../support/wait-for.ts';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck, publishNewReleases } from './pipeline-cli.ts';
import { rebootsStarted, simMachine } from './pipeline-world.ts';

const LOCKSMITHD = 'locksmithd.service';
const NEED_REBOOT = 'UPDATE_STATUS_UPDATED_NEED_REBOOT';

describe('flatdeck update on stock and Kubermatic Flatcar nodes (simulator, profile mixed)', () => {
  const w = guardedWorld({ nodes: 5, profile: 'mixed' });
  before(() => void publishNewReleases(w.sim));

  const machine = (name: string): SimNode => simMachine(w.sim, name);
  /** The release the simulator's update server offers the node's channel now. */
  const offered = (m: SimNode) => w.sim.releases.latest(m.channel())?.version;
  const nodeEvents = (node: string) => readEvents(w.sim.eventsPath).filter((e) => e.node === node);

  /** `flatdeck update NODE --json` to its end; the messages of its step events. */
  async function update(node: string): Promise<string[]> {
    const run = flatdeck(w.sim, cliDataDir(w), ['update', node, '--json', ...fastFlags]);
    const { code } = await finished(run);
    const messages = run.lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { payload?: { message?: string } }).payload?.message ?? '');
    assert.equal(code, 0, `${messages.slice(-12).join('\n')}\n${run.stderr()}`);
    return messages;
  }

  /** Writes flatdeck's cluster update Lease as held by `holder` for an hour (or free, with ''), like another instance's run. */
  async function holdClusterLock(holder: string): Promise<void> {
    const leases = w.kc.makeApiClient(CoordinationV1Api);
    const [namespace, name] = ['flatdeck-system', 'flatdeck-update-lock'];
    const now = new V1MicroTime();
    const spec = holder === '' ? {} : { holderIdentity: holder, leaseDurationSeconds: 3600, acquireTime: now, renewTime: now };
    const existing = await leases.readNamespacedLease({ namespace, name }).catch(() => null);
    if (existing) await leases.replaceNamespacedLease({ namespace, name, body: { metadata: existing.metadata, spec } });
    else await leases.createNamespacedLease({ namespace, body: { metadata: { name }, spec } });
  }

  /** When the node was first seen cordoned, from the recorded Node timeline. */
  function cordonedAtMs(node: string): number {
    const sample = w.recorder.timeline.find((s) => s.node === node && s.unschedulable === true);
    assert.ok(sample, `${node} was cordoned`);
    return sample.atMs;
  }

  it('a stock node is drained before any reboot, locksmithd never reboots it, and locksmithd is left as it was found', async () => {
    const m = machine('worker-4');
    const found = m.units.get(LOCKSMITHD);
    assert.deepEqual([found.masked, found.runtimeMasked, found.active], [false, false, 'active'], 'stock: locksmithd runs');
    const messages = await update('worker-4');

    assert.equal(m.osRelease().versionId, offered(m));
    const reboots = nodeEvents('worker-4').filter((e) => e.kind === 'reboot-start');
    assert.deepEqual(reboots.map((e) => e.by), ['systemctl'], 'one reboot, flatdeck\'s, none by locksmithd');
    await w.recorder.catchUp();
    assert.ok(Date.parse(reboots[0]!.ts) > cordonedAtMs('worker-4'), 'the reboot came after the cordon');
    assert.ok(messages.some((t) => /^OK: locksmithd is disabled,active: it would reboot the node without a drain once the update is staged, so flatdeck holds it/.test(t)), 'pre-flight says what it found and will do');
    const held = nodeEvents('worker-4').filter((e) => e.kind === 'unit-file' && e.unit === LOCKSMITHD).map((e) => `${e.from}→${e.to}`);
    assert.deepEqual(held, ['disabled→masked-runtime', 'masked-runtime→disabled'], 'held with a runtime mask that the reboot ended');
    const after = m.units.get(LOCKSMITHD);
    assert.deepEqual([after.masked, after.runtimeMasked, after.active], [false, false, 'active'], 'locksmithd runs again as the image starts it');
  });

  it('an update staged before update-engine restarted (NEW_VERSION=0.0.0) is rebooted into and verified by VERSION_ID', async () => {
    const m = machine('worker-2');
    assert.ok(m.updateEngine()?.attemptUpdate(), 'update_engine started a check');
    await waitFor('worker-2 staged', async () => m.updateEngine()?.status().currentOperation === NEED_REBOOT, { timeoutMs: 60_000 });
    m.units.setActive('update-engine.service', false);
    m.units.setActive('update-engine.service', true);
    assert.deepEqual([m.updateEngine()?.status().currentOperation, m.updateEngine()?.status().newVersion], [NEED_REBOOT, '0.0.0']);

    const messages = await update('worker-2');
    assert.equal(m.osRelease().versionId, offered(m));
    assert.ok(messages.includes(`worker-2 is back on ${offered(m)}, Ready`), messages.filter((t) => /back|booted/.test(t)).join('\n'));
    assert.ok(messages.some((t) => /update_engine no longer names its version/.test(t)), 'says it did not trust 0.0.0');
  });

  it('killed mid-update on a stock node: the held locksmithd never reboots it, the Node records what to put back, resume ends drained and puts it back', async () => {
    publishNewReleases(w.sim);
    const m = machine('worker-4');
    const rebootsBefore = rebootsStarted(w.sim, 'worker-4');
    const dataDir = cliDataDir(w, { prefix: 'kill-' });
    const run = flatdeck(w.sim, dataDir, ['update', 'worker-4', '--json', ...fastFlags]);
    await waitFor('locksmithd held', () => run.lines.some((l) => l.includes('"locksmithd":"held"')), { timeoutMs: 120_000 });
    // killed once update_engine downloads, so the update is staged with flatdeck gone
    await waitFor('the download', () => run.lines.some((l) => l.includes('"op":"UPDATE_STATUS_DOWNLOADING"')), { timeoutMs: 120_000 });
    run.child.kill('SIGKILL');
    assert.equal((await run.exit).signal, 'SIGKILL');

    await waitFor('the download finishing without flatdeck', async () => m.updateEngine()?.status().currentOperation === NEED_REBOOT, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rebootsStarted(w.sim, 'worker-4'), rebootsBefore, 'staged, and nothing rebooted it');
    assert.equal(m.units.fileState(LOCKSMITHD), 'masked-runtime');
    const mark = (await w.kc.makeApiClient(CoreV1Api).readNode({ name: 'worker-4' })).metadata?.annotations ?? {};
    assert.equal(mark['flatdeck.io/locksmithd-original'], 'disabled,active');

    const resumedAtMs = Date.now();
    const resume = flatdeck(w.sim, dataDir, ['resume', ...fastFlags]);
    const { code } = await finished(resume);
    assert.equal(code, 0, `${resume.lines.slice(-12).join('\n')}\n${resume.stderr()}`);
    assert.equal(m.osRelease().versionId, offered(m));
    const reboots = nodeEvents('worker-4').filter((e) => e.kind === 'reboot-start').slice(rebootsBefore);
    assert.deepEqual(reboots.map((e) => e.by), ['systemctl']);
    await w.recorder.catchUp();
    const rebootAtMs = Date.parse(reboots[0]!.ts);
    const cordonedByResume = w.recorder.timeline.some((s) => s.node === 'worker-4' && s.unschedulable === true && s.atMs >= resumedAtMs && s.atMs < rebootAtMs);
    assert.ok(cordonedByResume, 'the resumed run cordoned the node before the reboot');
    const after = m.units.get(LOCKSMITHD);
    assert.deepEqual([after.masked, after.runtimeMasked, after.active], [false, false, 'active']);
  });

  it('SERVER=disabled is lifted for the run and put back exactly, by atomic rewrites', async () => {
    const m = machine('worker-5');
    const conf = '# auto-update off\nSERVER=disabled\n';
    assert.equal(m.etcFlatcar.write('/etc/flatcar/update.conf', conf, true), 'written');
    const messages = await update('worker-5');

    assert.equal(m.osRelease().versionId, offered(m));
    assert.equal(m.etcFlatcar.read('/etc/flatcar/update.conf'), conf, 'exactly what was there');
    assert.equal(m.etcFlatcar.has('/etc/flatcar/update.conf.flatdeck-new'), false, 'no temporary file left');
    assert.ok(messages.some((t) => /^OK: SERVER=disabled in \/etc\/flatcar\/update\.conf stops every update check .* flatdeck lifts it for this update/.test(t)));
    assert.ok(messages.some((t) => /^SERVER=disabled is back in \/etc\/flatcar\/update\.conf on worker-5$/.test(t)));
    assert.deepEqual(nodeEvents('worker-5').filter((e) => e.kind === 'reboot-start').map((e) => e.by), ['systemctl']);
    assert.equal(m.units.get(LOCKSMITHD).active, 'active');
  });

  it('killed after the download with SERVER=disabled lifted: the hand-back puts SERVER=disabled back and keeps locksmithd held while the update is staged', async () => {
    publishNewReleases(w.sim);
    const m = machine('worker-5');
    const conf = '# auto-update off\nSERVER=disabled\n';
    assert.equal(m.etcFlatcar.read('/etc/flatcar/update.conf'), conf, 'as the previous case left it');
    const rebootsBefore = rebootsStarted(w.sim, 'worker-5');
    const dataDir = cliDataDir(w, { prefix: 'hand-back-' });
    // another operator's run holds the cluster lock, so the killed run is surely past its download and before its cordon
    await holdClusterLock('another-operator@elsewhere');
    const run = flatdeck(w.sim, dataDir, ['update', 'worker-5', '--json', ...fastFlags]);
    await waitFor('the lock step', () => run.lines.some((l) => l.includes('"step":"lock","status":"started"')), { timeoutMs: 120_000 });
    run.child.kill('SIGKILL');
    await run.exit;
    assert.equal(m.updateEngine()?.status().currentOperation, NEED_REBOOT, 'killed with the update staged');
    await holdClusterLock('');
    assert.match(m.etcFlatcar.read('/etc/flatcar/update.conf') ?? '', /^#flatdeck-lifted-for-an-update#SERVER=disabled$/m, 'lifted while the run lasted');

    const handBack = flatdeck(w.sim, dataDir, ['resume', '--hand-back', ...fastFlags]);
    const { code } = await finished(handBack);
    assert.equal(code, 0, `${handBack.lines.slice(-12).join('\n')}\n${handBack.stderr()}`);
    assert.equal(m.etcFlatcar.read('/etc/flatcar/update.conf'), conf, 'SERVER=disabled back, byte for byte');
    assert.equal(m.updateEngine()?.status().currentOperation, NEED_REBOOT, 'the update stays staged');
    assert.equal(m.units.fileState(LOCKSMITHD), 'masked-runtime', 'locksmithd would reboot the staged node at once: it stays held until the next boot');
    assert.equal(rebootsStarted(w.sim, 'worker-5'), rebootsBefore, 'nothing rebooted it');
    const annotations = (await w.kc.makeApiClient(CoreV1Api).readNode({ name: 'worker-5' })).metadata?.annotations ?? {};
    assert.deepEqual(Object.entries(annotations).filter(([k]) => k.startsWith('flatdeck.io/')), [['flatdeck.io/staged-version', offered(m)]], 'only what its next boot starts stays on record');

    await update('worker-5');
    assert.equal(m.osRelease().versionId, offered(m));
    assert.deepEqual(nodeEvents('worker-5').filter((e) => e.kind === 'reboot-start').slice(rebootsBefore).map((e) => e.by), ['systemctl'], 'then updated drained');
    assert.equal(m.units.get(LOCKSMITHD).active, 'active', 'and locksmithd is back after that boot');
    assert.equal(m.etcFlatcar.read('/etc/flatcar/update.conf'), conf);
  });

  it('a rollout of the stock nodes downloads in parallel and reboots each only drained, one at a time; locksmithd waits on every staged node', async () => {
    publishNewReleases(w.sim);
    const from = readEvents(w.sim.eventsPath).length;
    const run = flatdeck(w.sim, cliDataDir(w, { prefix: 'rollout-' }), ['rollout', '--nodes', 'worker-4,worker-5', '--parallel', '2', ...fastFlags]);
    const { code } = await finished(run);
    assert.equal(code, 0, `${run.lines.slice(-12).join('\n')}\n${run.stderr()}`);
    const events = readEvents(w.sim.eventsPath).slice(from);
    assert.deepEqual(events.filter((e) => e.kind === 'reboot-start').map((e) => `${e.node} by ${e.by}`).sort(), ['worker-4 by systemctl', 'worker-5 by systemctl']);
    assert.ok(maxConcurrentReboots(events) <= 1, 'one reboot at a time');
    for (const name of ['worker-4', 'worker-5']) {
      const m = machine(name);
      assert.equal(m.osRelease().versionId, offered(m));
      assert.equal(m.units.get(LOCKSMITHD).active, 'active', `${name}: locksmithd back`);
    }
  });
});
