// A flatdeck rollout while FLUO (running in the simulator, sim/fluo) updates other nodes by itself: at no instant
// are two nodes out of service (cordoned by either, rebooting or down), both finish, and flatdeck leaves FLUO as it
// found it. Proven from events.jsonl and the recorded Node timeline (test/support/invariants.ts).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { HELD_BY_KEY } from '../../app/cluster/fluo-guard.ts';
import { readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { waitFor } from '../support/wait-for.ts';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck, publishNewReleases } from './pipeline-cli.ts';
import { simMachine } from './pipeline-world.ts';
import { ssh } from './sim-ssh-client.ts';

const P = 'flatcar-linux-update.v1.flatcar-linux.net/';

describe('flatdeck and FLUO on one cluster', () => {
  const w = guardedWorld({ nodes: 4, timeScale: 0.1, seed: 1, fluo: 'installed' });

  async function run(host: string, command: string): Promise<void> {
    const r = await ssh(w.sim.sshConfigPath, host, command);
    assert.equal(r.code, 0, `${host}: ${command}: ${r.stderr}`);
  }

  before(async () => {
    const core = w.kc.makeApiClient(CoreV1Api);
    await waitFor('FLUO agents on every node', async () => (await core.listNode()).items.every((n) => n.metadata?.annotations?.[`${P}reboot-needed`] === 'false'), { timeoutMs: 60_000 });
    // FLUO's drain refuses pods without a controller; flatdeck deletes it with --delete-unmanaged, FLUO would crash-loop.
    await core.deleteNamespacedPod({ name: 'debug-shell', namespace: 'shop' });
    for (const m of w.sim.machines) {
      await run(m.name, 'sudo systemctl unmask update-engine.service');
      await run(m.name, 'sudo systemctl start update-engine.service');
    }
  });

  it('FLUO wants to reboot two nodes while a rollout has two others out of service: one node out of service at a time, all updated', async () => {
    publishNewReleases(w.sim);
    const from = new Map(w.sim.machines.map((m) => [m.name, m.osRelease().versionId]));
    const [ours, fluos] = [['worker-1', 'worker-2'], ['worker-3', 'worker-4']];
    const core = w.kc.makeApiClient(CoreV1Api);
    const setPaused = (name: string, value: string | null) =>
      core.patchNode({ name, body: { metadata: { annotations: { [`${P}reboot-paused`]: value } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

    // FLUO's nodes stage their update while an administrator holds them paused ...
    for (const name of fluos) await setPaused(name, 'true');
    for (const name of fluos) await run(name, 'update_engine_client -check_for_update');
    await waitFor('FLUO nodes waiting for a reboot', async () => {
      const nodes = await Promise.all(fluos.map((name) => core.readNode({ name })));
      return nodes.every((n) => n.metadata?.annotations?.[`${P}reboot-needed`] === 'true');
    }, { timeoutMs: 60_000 });

    // ... and are handed to FLUO the moment flatdeck has its first node cordoned.
    const rollout = flatdeck(w.sim, cliDataDir(w), ['rollout', '--nodes', ours.join(','), '--json', ...fastFlags]);
    await waitFor('flatdeck cordoning worker-1', async () => {
      const n = await core.readNode({ name: 'worker-1' });
      return n.spec?.unschedulable === true && 'flatdeck.io/instance' in (n.metadata?.annotations ?? {});
    }, { timeoutMs: 120_000, intervalMs: 50 });
    for (const name of fluos) await setPaused(name, null);

    const { code } = await finished(rollout);
    assert.equal(code, 0, `${rollout.lines.slice(-10).join('\n')}\n${rollout.stderr()}`);
    await waitFor('FLUO done with its nodes', async () => {
      for (const name of fluos) {
        const n = await core.readNode({ name });
        const version = simMachine(w.sim, name).osRelease().versionId;
        if (version === from.get(name) || n.spec?.unschedulable || n.metadata?.annotations?.[`${P}reboot-ok`] !== 'false') return false;
      }
      return true;
    }, { timeoutMs: 180_000 });

    await w.assertSafe();
    const reboots = readEvents(w.sim.eventsPath).filter((e) => e.kind === 'reboot-start');
    assert.deepEqual(reboots.filter((e) => e.by === 'update-agent').map((e) => e.node).sort(), fluos, 'FLUO rebooted its nodes itself');
    assert.deepEqual(reboots.filter((e) => e.by !== 'update-agent').map((e) => e.node).sort(), ours, 'flatdeck rebooted the nodes of its rollout');
    for (const m of w.sim.machines) assert.notEqual(m.osRelease().versionId, from.get(m.name), `${m.name} updated`);
    const held = new Set(w.recorder.timeline.filter((s) => HELD_BY_KEY in s.annotations).map((s) => s.node));
    assert.ok(fluos.some((name) => held.has(name)), 'flatdeck held FLUO back while it had a node out of service');

    for (const n of (await core.listNode()).items) {
      const a = n.metadata?.annotations ?? {};
      assert.equal(a[HELD_BY_KEY], undefined, `${n.metadata?.name}: no FLUO hold left`);
      assert.equal(a[`${P}reboot-paused`], undefined, `${n.metadata?.name}: FLUO not left paused`);
    }
  });
});
