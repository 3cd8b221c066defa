// Exact versions on the simulator: `flatdeck update NODE --to-version V` and `flatdeck rollout … --to-version V`
// install exactly V with flatcar-update through the serialized pipeline (older than the running release too),
// leave update.conf and update-engine as they were, and a version the release feed does not list is refused
// before anything changes. The fleet invariants hold throughout.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck } from './pipeline-cli.ts';
import { rebootsStarted, simMachine } from './pipeline-world.ts';

describe('exact versions with --to-version on the simulator', () => {
  const w = guardedWorld({ nodes: 3, profile: 'mixed' });
  let dataDir: string;
  before(() => {
    dataDir = cliDataDir(w, { releaseFeed: true });
  });

  const machine = (name: string) => simMachine(w.sim, name);
  const conf = (name: string) => machine(name).readFile('/etc/flatcar/update.conf');
  const reboots = (name: string) => rebootsStarted(w.sim, name);

  it('refuses a version the release feed does not list, before anything changes', async () => {
    const before = { conf: conf('worker-1'), units: machine('worker-1').snapshot().units, reboots: reboots('worker-1') };
    const run = flatdeck(w.sim, dataDir, ['update', 'worker-1', '--to-version', '4593.9.9', ...fastFlags]);
    assert.equal((await finished(run)).code, 1);
    assert.match(run.stderr(), /Flatcar 4593\.9\.9 is not a release: the release feed at http:\/\/127\.0\.0\.1:\d+\/releases-json\/ does not list it on any channel; nothing was changed/);
    assert.deepEqual({ conf: conf('worker-1'), units: machine('worker-1').snapshot().units, reboots: reboots('worker-1') }, before);
  });

  it('update --to-version installs exactly an older release than the running one and leaves update.conf as it was', async () => {
    const confBefore = conf('worker-2');
    const run = flatdeck(w.sim, dataDir, ['update', 'worker-2', '--to-version', '4593.2.0', ...fastFlags]);
    assert.equal((await finished(run)).code, 0, `${run.lines.slice(-15).join('\n')}\n${run.stderr()}`);
    assert.match(run.lines.join('\n'), /worker-2 +update +progress +Installing exactly 4593\.2\.0 on worker-2 with flatcar-update --to-version/);
    assert.match(run.lines.join('\n'), /worker-2 +verify +succeeded .*back on 4593\.2\.0/);
    assert.equal(machine('worker-2').osRelease().versionId, '4593.2.0');
    assert.deepEqual(conf('worker-2'), confBefore, 'flatcar-update put SERVER back as it found it');
  });

  it('rollout --to-version takes a masked node to that release (not the newest) and masks update-engine again', async () => {
    const run = flatdeck(w.sim, dataDir, ['rollout', '--nodes', 'worker-1', '--to-version', '4757.2.0', ...fastFlags]);
    assert.equal((await finished(run)).code, 0, `${run.lines.slice(-15).join('\n')}\n${run.stderr()}`);
    assert.equal(machine('worker-1').osRelease().versionId, '4757.2.0');
    assert.notEqual(w.sim.releases.latest('stable')?.version, '4757.2.0', 'the channel offers a newer one');
    assert.equal(machine('worker-1').snapshot().units['update-engine.service']?.file, 'masked');
  });
});
