import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck, publishNewReleases } from './pipeline-cli.ts';
import { maxConcurrentReboots, readSimEvents, type World } from './pipeline-world.ts';

async function assertFleetUpdated(w: World, wanted: Record<string, string>) {
  const core = w.kc.makeApiClient(CoreV1Api);
  for (const m of w.sim.machines) {
    assert.equal(m.osRelease().versionId, wanted[m.channel()], `${m.name} on the new version`);
    const node = await core.readNode({ name: m.name });
    assert.notEqual(node.spec?.unschedulable, true, `${m.name} not cordoned`);
    assert.deepEqual(Object.keys(node.metadata?.annotations ?? {}).filter((k) => k.startsWith('flatdeck.io/')), [], `${m.name} has no flatdeck marks left`);
  }
  const events = readSimEvents(w.sim.eventsPath);
  assert.ok(events.some((e) => e.kind === 'reboot-start'));
  assert.ok(maxConcurrentReboots(events) <= 1, 'never two nodes rebooting at once');
}

describe('rollouts through the CLI on the simulator', () => {
  const w = guardedWorld({ nodes: 5 });

  it('a 5-node rollout ends with every node on the new version, none cordoned, one reboot at a time', async () => {
    const wanted = publishNewReleases(w.sim);
    const dataDir = cliDataDir(w);
    chmodSync(dataDir, 0o755); // as an older flatdeck left it
    const run = flatdeck(w.sim, dataDir, ['rollout', '--all', '--parallel', '3', ...fastFlags]);
    const { code } = await finished(run);
    assert.equal(code, 0, `${run.lines.slice(-15).join('\n')}\n${run.stderr()}`);
    assert.match(run.lines.at(-1) ?? '', /succeeded/);
    await assertFleetUpdated(w, wanted);
    const activity = readFileSync(join(dataDir, 'activity.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; node: string | null; message: string });
    assert.deepEqual(activity.filter((e) => e.kind.startsWith('run-')).map((e) => e.kind), ['run-started', 'run-succeeded']);
    for (const m of w.sim.machines) {
      const uncordoned = activity.some((e) => e.kind === 'step-succeeded' && e.node === m.name && e.message.startsWith(`${m.name}: uncordon succeeded`));
      assert.ok(uncordoned, `Activity lists ${m.name}'s progression through uncordon`);
    }
    const modes = readdirSync(dataDir, { recursive: true, withFileTypes: true }).map((e) => {
      const path = join(e.parentPath, e.name);
      return `${(statSync(path).mode & 0o777).toString(8)} ${e.isDirectory() ? 'dir' : 'file'} ${path.slice(dataDir.length)}`;
    });
    assert.ok(modes.some((m) => m.endsWith('/activity.jsonl')) && modes.some((m) => m.endsWith('.jsonl') && m.includes('/runs/')), modes.join('\n'));
    assert.deepEqual(modes.filter((m) => !/^(600 file|700 dir) /.test(m)), [], 'the data folder is private to the operator');
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  });

  it('two flatdeck processes rolling out the same cluster at once: one reboot at a time, both finish', async () => {
    const wanted = publishNewReleases(w.sim);
    const a = flatdeck(w.sim, cliDataDir(w, { prefix: 'a-' }), ['rollout', '--all', '--json', ...fastFlags]);
    const b = flatdeck(w.sim, cliDataDir(w, { prefix: 'b-' }), ['rollout', '--all', '--json', ...fastFlags]);
    const [ea, eb] = await Promise.all([finished(a), finished(b)]);
    const tail = (r: typeof a) => r.lines.filter((l) => /"topic":"step"/.test(l) && !/"status":"progress"/.test(l)).slice(-8).map((l) => l.slice(0, 300)).join('\n');
    assert.equal(ea.code, 0, `${a.stderr()}\n${tail(a)}`);
    assert.equal(eb.code, 0, `${b.stderr()}\n${tail(b)}`);
    const rebootedBy = (r: typeof a) => r.lines.filter((l) => /"step":"reboot","status":"succeeded"/.test(l)).length;
    assert.equal(rebootedBy(a) + rebootedBy(b), w.sim.nodes.length, 'each node rebooted exactly once between the two');
    // each node is claimed by one run (the other waits for the claim), and reboots wait for the cluster lock
    const waited = [...a.lines, ...b.lines].some((l) => /"waitingFor":"(the cluster update lock|node \S+ is being updated by)/.test(l));
    assert.ok(waited, 'one of them waited for the other\'s lock or node claim');
    await assertFleetUpdated(w, wanted);
  });
});
