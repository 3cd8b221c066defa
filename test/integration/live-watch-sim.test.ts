// The core follows every Flatcar node's update_engine while a cluster is open, whoever drives the update: a node
// the operator updates by hand from their own SSH session shows CHECKING → DOWNLOADING % → UPDATED_NEED_REBOOT in
// `live` events without any run, its reboot (locksmithd, as the image ships) shows it unreachable until it is
// back, and closing the cluster stops the watch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ApiEvent, NodeLiveState } from '../../app/api/index.ts';
import { createService } from '../../app/service/index.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { readSimEvents } from './pipeline-world.ts';
import { ssh } from './sim-ssh-client.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { waitFor } from '../support/wait-for.ts';

const block = loopbackBlock();
const dir = mkdtempSync(join(tmpdir(), 'flatdeck-live-watch-'));
let sim: SimCluster;
let service: ReturnType<typeof createService>;
const events: Array<ApiEvent & { receivedAt: number }> = [];
let cluster = '';

const liveOf = (node: string, since = 0): NodeLiveState[] =>
  events.flatMap((e) => (e.receivedAt >= since && e.topic === 'nodes' && e.payload.type === 'live' && e.payload.state.node === node ? [e.payload.state] : []));

/** The operator's own session, not flatdeck: `update_engine_client -check_for_update` over OpenSSH. */
async function checkByHand(node: string): Promise<void> {
  const run = await ssh(sim.sshConfigPath, node, 'update_engine_client -check_for_update');
  assert.equal(run.code, 0, run.stderr);
}

before(async () => {
  // stock: update-engine and locksmithd run as the image ships them, so a staged update reboots the node at once
  sim = await startSimCluster({ nodes: 2, profile: 'stock', stateDir: join(dir, 'sim'), sshPort: 0, addressBase: block.base, timeScale: 0.02, workload: false, scheduledUpdateChecks: false });
  service = createService({ kubeconfigPaths: [sim.kubeconfigPath], dataDir: join(dir, 'data'), loginShellPath: false, sshConfigPath: sim.sshConfigPath });
  service.subscribe((e) => events.push({ ...e, receivedAt: Date.now() }));
  cluster = (await service.call('clusters.list', {}))[0]!.id;
  await service.call('clusters.connect', { cluster });
  await waitFor('both nodes listed', async () => (await service.call('nodes.list', { cluster })).length === 2);
});

after(async () => {
  await service?.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('live update_engine state of nodes flatdeck does not update', () => {
  it('follows a node updated by hand through the download, its reboot and back, without any run', async () => {
    const node = sim.machines[0]!;
    const from = node.bootedVersion();
    assert.deepEqual(await service.call('nodes.followLive', { cluster }), { following: 2, waiting: 0 });
    await waitFor('the first live reading', () => liveOf(node.name).find((s) => s.updateEngine?.currentOp === 'UPDATE_STATUS_IDLE'));

    const startedAt = Date.now();
    await checkByHand(node.name);
    const rebooted = await waitFor('the node back after its reboot', () => liveOf(node.name, startedAt).find((s) => s.versionId !== from && s.updateEngine !== null), { timeoutMs: 60_000 });

    const seen = liveOf(node.name, startedAt);
    const ops = seen.flatMap((s) => (s.updateEngine ? [s.updateEngine.currentOp] : [])).filter((op, i, all) => op !== all[i - 1]);
    const beforeReboot = ops.slice(0, ops.indexOf('UPDATE_STATUS_UPDATED_NEED_REBOOT') + 1);
    // every transition the simulated daemon made, in its order (events.jsonl), reached the API
    const simOps = readSimEvents(sim.eventsPath)
      .filter((e) => e.node === node.name && e.kind === 'update-engine' && Date.parse(e.ts) >= startedAt)
      .map((e) => e.to as string);
    const untilStaged = simOps.slice(0, simOps.indexOf('UPDATE_STATUS_UPDATED_NEED_REBOOT') + 1);
    assert.deepEqual(beforeReboot, untilStaged);
    assert.deepEqual(untilStaged, ['UPDATE_STATUS_CHECKING_FOR_UPDATE', 'UPDATE_STATUS_UPDATE_AVAILABLE', 'UPDATE_STATUS_DOWNLOADING', 'UPDATE_STATUS_FINALIZING', 'UPDATE_STATUS_UPDATED_NEED_REBOOT']);
    const partial = seen.filter((s) => s.updateEngine?.currentOp === 'UPDATE_STATUS_DOWNLOADING' && s.updateEngine.progress > 0 && s.updateEngine.progress < 1);
    assert.ok(partial.length >= 5, `the download's progress is pushed as it goes (${partial.length} readings)`);
    const staged = seen.find((s) => s.updateEngine?.currentOp === 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
    assert.equal(staged?.updateEngine?.newVersion, rebooted.versionId, 'the staged version is the one it booted');

    // locksmithd rebooted it: meanwhile its state is unknown and says why, then it is read afresh
    const down = seen.findIndex((s) => s.updateEngine === null);
    assert.ok(down > seen.indexOf(staged!), 'shown as lost after it staged the update');
    assert.match(seen[down]!.error ?? '', /\(following it again\)$/);
    assert.equal(rebooted.updateEngine?.currentOp, 'UPDATE_STATUS_IDLE');
    assert.equal(rebooted.error, null);

    assert.equal(events.filter((e) => e.topic === 'step' || e.topic === 'rollout').length, 0, 'no run was involved');
  });

  it('stops following when the cluster is closed', async () => {
    const node = sim.machines[1]!;
    await waitFor('the node followed', () => liveOf(node.name).find((s) => s.updateEngine?.currentOp === 'UPDATE_STATUS_IDLE'));
    await service.call('clusters.disconnect', { cluster });
    const closedAt = Date.now();
    await checkByHand(node.name);
    await waitFor('the node to download on its own', () =>
      readSimEvents(sim.eventsPath).find((e) => e.node === node.name && e.kind === 'download-progress' && Date.parse(e.ts) >= closedAt), { timeoutMs: 30_000 });
    assert.deepEqual(liveOf(node.name, closedAt), [], 'nothing was read from the node after the cluster was closed');
  });
});
