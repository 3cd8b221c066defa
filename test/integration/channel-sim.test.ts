// `flatdeck channel` on the simulator over SSH: GROUP= written atomically into /etc/flatcar/update.conf with
// every other line kept, the no-downgrade rule spelled out per node before anything changes (against the
// simulator's release feed), and update_engine following the new channel at its next check.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, finished, flatdeck, nodesRow } from './pipeline-cli.ts';
import { simMachine } from './pipeline-world.ts';

describe('flatdeck channel on the simulator', () => {
  const w = guardedWorld({ nodes: 3, profile: 'mixed', invariants: 'after-all' });
  let dataDir: string;
  before(() => {
    dataDir = cliDataDir(w, { releaseFeed: true });
  });

  const machine = (name: string) => simMachine(w.sim, name);
  const updateConf = (name: string) => machine(name).readFile('/etc/flatcar/update.conf');
  /** The node's version and channel as `flatdeck nodes --ssh --json` lists them. */
  const listed = async (name: string) => {
    const row = await nodesRow(w.sim, dataDir, name, ['--ssh']);
    return row && { version: row.version, channel: row.channel };
  };

  it('moves one node to beta: GROUP rewritten, other lines kept, and its next check offers the beta release', async () => {
    machine('worker-2').etcFlatcar.write('/etc/flatcar/update.conf', '# pinned by ops\nGROUP=stable\nREBOOT_STRATEGY=off\nGROUP=stable\n', true);
    const run = flatdeck(w.sim, dataDir, ['channel', 'worker-2', 'beta', '--yes']);
    assert.equal((await finished(run)).code, 0, run.stderr());
    assert.deepEqual(run.lines.filter(Boolean), ['worker-2: GROUP=beta (was stable)']);
    assert.deepEqual(updateConf('worker-2'), { kind: 'file', content: '# pinned by ops\nREBOOT_STRATEGY=off\nGROUP=beta\n' });
    assert.equal(machine('worker-2').channel(), 'beta');
    assert.deepEqual(w.sim.releases.offer(machine('worker-2').channel(), '4757.2.0'), { version: '4803.1.0', size: 466_616_320 });
    // listed on beta at once, while it still runs its stable release (the GUI's table reads the same)
    assert.deepEqual(await listed('worker-2'), { version: '4757.2.0', channel: 'beta' });
  });

  it("lists a node's channel as update_engine reads it: /etc/flatcar/update.conf's GROUP, else the image's", async () => {
    const was = updateConf('worker-1');
    machine('worker-1').etcFlatcar.write('/etc/flatcar/update.conf', 'GROUP = lts\n', true);
    assert.equal(machine('worker-1').channel(), 'stable', "update_engine reads the key 'GROUP ': the image's GROUP answers");
    assert.deepEqual(await listed('worker-1'), { version: '4459.2.1', channel: 'stable' });
    machine('worker-1').etcFlatcar.write('/etc/flatcar/update.conf', 'GROUP=lts\n', true);
    assert.deepEqual(await listed('worker-1'), { version: '4459.2.1', channel: 'lts' });
    machine('worker-1').etcFlatcar.write('/etc/flatcar/update.conf', was?.kind === 'file' ? was.content : '', true);
  });

  it('states the no-downgrade rule per node before changing anything, then sets the channel on every Flatcar node', async () => {
    const plan = flatdeck(w.sim, dataDir, ['channel', '--all', 'lts']);
    await finished(plan);
    assert.match(plan.stderr(), /lts: newest release 4081\.3\.6/);
    assert.match(plan.stderr(), /worker-1 +4459\.2\.1 .*→ lts: stays on 4459\.2\.1 until lts has a release newer than it: update_engine never downgrades/);
    assert.equal(machine('worker-1').channel(), 'stable', 'nothing changed without the confirmation');

    const before = updateConf('worker-1');
    const worker1Group = before?.kind === 'file' ? (/^GROUP=(.*)$/m.exec(before.content)?.[1] ?? null) : null;
    const run = flatdeck(w.sim, dataDir, ['channel', '--all', 'stable', '--yes', '--json']);
    assert.equal((await finished(run)).code, 0, run.stderr());
    const result = JSON.parse(run.lines.join('')) as { channel: string; changes: Array<{ node: string; from: string | null; ok: boolean }> };
    assert.deepEqual(result.changes.map((c) => [c.node, c.from, c.ok]), [['worker-1', worker1Group, true], ['worker-2', 'beta', true], ['worker-3', 'beta', true]]);
    for (const m of w.sim.machines) assert.equal(m.channel(), 'stable');
  });

  it('refuses a name that is no Flatcar channel before connecting to anything', async () => {
    const run = flatdeck(w.sim, dataDir, ['channel', 'worker-1', 'edge', '--yes']);
    assert.notEqual((await finished(run)).code, 0);
    assert.match(run.stderr(), /"edge" is not a Flatcar channel \(stable, beta, alpha, lts\)/);
    assert.equal(machine('worker-1').channel(), 'stable');
  });
});
