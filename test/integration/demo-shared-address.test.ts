// The demo as macOS runs it: every simulated node on one loopback address, told apart by its SSH port. Each node
// must still be reached as itself (a wrong port would answer with another node's VERSION_ID).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createService, DEMO_CLUSTER_ID } from '../../app/service/index.ts';
import type { ApiHandler } from '../../app/api/handler.ts';
import { demoAddresses } from '../../main/host/demo-addresses.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { waitFor } from '../support/wait-for.ts';

describe('the demo address plan', () => {
  it('macOS: one address (127.0.0.1) for every node; Linux and Windows: an address per node', () => {
    assert.deepEqual(demoAddresses('darwin'), { addressBase: '127.0.0.1', sharedAddress: true });
    for (const platform of ['linux', 'win32'] as const) assert.deepEqual(demoAddresses(platform), { addressBase: '127.10.0.1', sharedAddress: false });
  });
});

describe('a demo whose nodes share one address', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flatdeck-demo-shared-'));
  let sim: SimCluster;
  let service: ApiHandler & { close(): Promise<void> };

  before(async () => {
    // As on macOS, but on this test's own loopback address instead of 127.0.0.1.
    sim = await startSimCluster({ nodes: 3, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: loopbackBlock().host(1), sharedAddress: true, timeScale: 0.01, workload: false });
    service = createService({ dataDir: join(dir, 'data'), kubeconfigPaths: [], loginShellPath: false, demo: { kubeconfigPath: sim.kubeconfigPath, sshConfigPath: sim.sshConfigPath, knownHostsPath: sim.knownHostsPath } });
    await service.call('clusters.connect', { cluster: DEMO_CLUSTER_ID });
    await waitFor('3 nodes listed', async () => (await service.call('nodes.list', { cluster: DEMO_CLUSTER_ID })).length === 3);
  });
  after(async () => {
    await service?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches every node as itself over SSH', async () => {
    assert.equal(new Set(sim.nodes.map((n) => n.address)).size, 1, 'one address');
    assert.equal(new Set(sim.nodes.map((n) => n.port)).size, 3, 'a port per node');
    const live = await service.call('nodes.refreshLive', { cluster: DEMO_CLUSTER_ID });
    assert.deepEqual(
      live.map((s) => [s.node, s.versionId, s.error]).sort(),
      sim.machines.map((m) => [m.name, m.osRelease().versionId, null]).sort(),
    );
  });
});
