// A flatdeck rollout while FLUO (running in the simulator, sim/fluo) updates other nodes by itself: at no instant
// are two nodes out of service (cordoned by either, rebooting or down), both finish, and flatdeck leaves FLUO as it
// found it. Proven from events.jsonl and the recorded Node timeline (test/support/invariants.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { HELD_BY_KEY } from '../../app/cluster/fluo-guard.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { assertFleetInvariants, recordNodes, type NodeRecorder } from '../support/invariants-recorder.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { waitFor } from '../support/wait-for.ts';
import { fastFlags, finished, flatdeck, publishNewReleases } from './pipeline-cli.ts';
import { ssh } from './sim-ssh-client.ts';

const P = 'flatcar-linux-update.v1.flatcar-linux.net/';
const dir = mkdtempSync(join(tmpdir(), 'flatdeck-fluo-rollout-'));
let sim: SimCluster;
let kc: KubeConfig;
let recorder: NodeRecorder;

async function run(host: string, command: string): Promise<void> {
  const r = await ssh(sim.sshConfigPath, host, command);
  assert.equal(r.code, 0, `${host}: ${command}: ${r.stderr}`);
}

before(async () => {
  sim = await startSimCluster({
    nodes: 4, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: loopbackBlock().base, timeScale: 0.1,
    scheduledUpdateChecks: false, workload: true, fluo: 'installed',
  });
  kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor('FLUO agents on every node', async () => (await core.listNode()).items.every((n) => n.metadata?.annotations?.[`${P}reboot-needed`] === 'false'), { timeoutMs: 60_000 });
  // FLUO's drain refuses pods without a controller; flatdeck deletes it with --delete-unmanaged, FLUO would crash-loop.
  await core.deleteNamespacedPod({ name: 'debug-shell', namespace: 'shop' });
  for (const m of sim.machines) {
    await run(m.name, 'sudo systemctl unmask update-engine.service');
    await run(m.name, 'sudo systemctl start update-engine.service');
  }
  recorder = await recordNodes(kc);
});

after(async () => {
  recorder?.stop();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('flatdeck and FLUO on one cluster', () => {
  it('FLUO wants to reboot two nodes while a rollout has two others out of service: one node out of service at a time, all updated', async () => {
    publishNewReleases(sim);
    const from = new Map(sim.machines.map((m) => [m.name, m.osRelease().versionId]));
    const [ours, fluos] = [['worker-1', 'worker-2'], ['worker-3', 'worker-4']];
    const core = kc.makeApiClient(CoreV1Api);
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
    const rollout = flatdeck(sim, mkdtempSync(join(dir, 'cli-')), ['rollout', '--nodes', ours.join(','), '--json', ...fastFlags]);
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
        const version = sim.machines.find((m) => m.name === name)?.osRelease().versionId;
        if (version === from.get(name) || n.spec?.unschedulable || n.metadata?.annotations?.[`${P}reboot-ok`] !== 'false') return false;
      }
      return true;
    }, { timeoutMs: 180_000 });

    await assertFleetInvariants({ eventsPath: sim.eventsPath, recorder });
    const reboots = readEvents(sim.eventsPath).filter((e) => e.kind === 'reboot-start');
    assert.deepEqual(reboots.filter((e) => e.by === 'update-agent').map((e) => e.node).sort(), fluos, 'FLUO rebooted its nodes itself');
    assert.deepEqual(reboots.filter((e) => e.by !== 'update-agent').map((e) => e.node).sort(), ours, 'flatdeck rebooted the nodes of its rollout');
    for (const m of sim.machines) assert.notEqual(m.osRelease().versionId, from.get(m.name), `${m.name} updated`);
    const held = new Set(recorder.timeline.filter((s) => HELD_BY_KEY in s.annotations).map((s) => s.node));
    assert.ok(fluos.some((name) => held.has(name)), 'flatdeck held FLUO back while it had a node out of service');

    for (const n of (await core.listNode()).items) {
      const a = n.metadata?.annotations ?? {};
      assert.equal(a[HELD_BY_KEY], undefined, `${n.metadata?.name}: no FLUO hold left`);
      assert.equal(a[`${P}reboot-paused`], undefined, `${n.metadata?.name}: FLUO not left paused`);
    }
  });
});
