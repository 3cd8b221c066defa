// Issue 13, "what must hold" 1: a run never leaves a node set to boot a version other than the one it verified.
// GRUB spends a freshly installed USR partition's only try on its first boot; until that boot is marked good
// (update_engine does it ~45 s after it starts), any reboot falls back to the version the node came from. A run
// that ends inside that window must not leave the node there: a reboot nobody planned right after the run
// finished keeps the version the run verified.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guardedWorld } from './guarded-world.ts';
import { publishNewReleases } from './pipeline-cli.ts';
import { fastRunOptions, simMachine } from './pipeline-world.ts';
import { waitFor } from '../support/wait-for.ts';

describe('the version a run verified is the one the node keeps booting', () => {
  // 45 s of update_engine's time is 2.25 s here: the run ends well inside it
  const w = guardedWorld({ nodes: 2, timeScale: 0.05 });

  it('right after an update run ends, the new boot is marked good and an unplanned reboot stays on the new version', async () => {
    const node = w.sim.nodes[1]!.name;
    const machine = simMachine(w.sim, node);
    const target = publishNewReleases(w.sim)[machine.channel()]!;
    const run = await w.engine().start({ kind: 'single', nodes: [node], options: fastRunOptions });
    const end = await run.done;
    assert.equal(end.status, 'succeeded', JSON.stringify(end.error));

    const s = machine.snapshot();
    assert.equal(s.version, target);
    assert.equal(s.nextBootVersion, null, `the next boot starts ${s.nextBootVersion}, not the verified ${target}`);
    assert.deepEqual(s.usr.filter((p) => p.booted).map((p) => [p.version, p.successful]), [[target, true]]);

    const bootBefore = machine.bootId();
    machine.requestReboot();
    await waitFor(`${node} back from an unplanned reboot`, () => machine.snapshot().power === 'up' && machine.bootId() !== bootBefore, { timeoutMs: 30_000 });
    assert.equal(machine.snapshot().version, target);
  });
});
