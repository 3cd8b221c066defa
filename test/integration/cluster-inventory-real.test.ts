// The node inventory and `flatdeck nodes --ssh` against the real control plane (test/cluster/build: Go-built
// kube-apiserver, controller-manager, kwok) with the simulator's SSH fleet registered through the kubelet role.
// Skips with the reason when the binaries are not built (fails in CI).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { ApiEvent } from '../../app/api/index.ts';
import { createService } from '../../app/service/index.ts';
import type { NodeRow } from '../../main/cli/commands/nodes.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { realClusterSkip, startRealCluster, type RealCluster } from '../support/real-cluster.ts';
import { waitFor } from '../support/wait-for.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const skip = realClusterSkip();
const KWOK_NODES = 300;
const run = promisify(execFile);

describe('node inventory on the real control plane', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'flatdeck-inventory-real-'));
  let real: RealCluster;
  let sim: SimCluster;
  let service: ReturnType<typeof createService>;
  const events: ApiEvent[] = [];
  let cluster = '';

  before(async () => {
    real = await startRealCluster({ kwokNodes: KWOK_NODES });
    sim = await startSimCluster({
      nodes: 3,
      stateDir: join(dir, 'sim'),
      sshPort: 0,
      addressBase: block.base,
      timeScale: 0.01,
      workload: false,
      api: { kind: 'external', kubeconfig: real.kubeconfigPath },
    });
    service = createService({ kubeconfigPaths: [real.kubeconfigPath], dataDir: join(dir, 'data'), loginShellPath: false });
    service.subscribe((e) => events.push(e));
    cluster = service.context.clusters.currentContext ?? '';
  });

  after(async () => {
    await service?.close();
    await sim?.stop();
    await real?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the simulated Flatcar nodes with their versions and every kwok node', async () => {
    await service.call('clusters.connect', { cluster });
    const nodes = await waitFor(
      'all nodes registered',
      async () => {
        const list = await service.call('nodes.list', { cluster });
        return list.length >= KWOK_NODES + sim.nodes.length ? list : undefined;
      },
      { timeoutMs: 60_000 },
    );
    for (const s of sim.nodes) {
      const n = nodes.find((x) => x.name === s.name);
      assert.ok(n, s.name);
      assert.equal(n.distribution, 'flatcar');
      assert.equal(n.flatcarVersion, s.version);
      assert.equal(n.addresses.internalIP, s.address);
    }
    const kwok = nodes.filter((n) => n.name.startsWith('kwok-node-'));
    assert.equal(kwok.length, KWOK_NODES);
    assert.ok(kwok.every((n) => n.distribution === 'flatcar' && n.flatcarVersion !== null), 'kwok nodes show as the Flatcar fleet they stand in for');
  });

  it('lists in pages (limit + continue) from the real API server', async () => {
    const source = service.context.clusters.connection(cluster).nodeSource({ pageSize: 50 });
    const { items } = await source.list(new AbortController().signal);
    const names = new Set(items.map((i) => (i as { metadata: { name: string } }).metadata.name));
    assert.equal(items.length, KWOK_NODES + sim.nodes.length);
    assert.equal(names.size, items.length);
  });

  it('sees a cordon by the Go-built kubectl as an upsert, and keeps taints as the API server has them', async () => {
    const target = sim.nodes[0]!.name;
    const kubectl = async (...args: string[]) => (await run(real.kubectlPath, ['--kubeconfig', real.kubeconfigPath, ...args])).stdout;
    await kubectl('cordon', target);
    const upsert = await waitFor(
      'the cordon as an upsert',
      () => events.flatMap((e) => (e.topic === 'nodes' && e.payload.type === 'upsert' && e.payload.node.name === target ? [e.payload.node] : [])).find((n) => n.unschedulable),
      { timeoutMs: 30_000 },
    );
    assert.equal(upsert.unschedulable, true);
    const fromKubectl = JSON.parse(await kubectl('get', 'node', target, '-o', 'json')) as { spec: { taints?: Array<{ key: string; value?: string; effect: string }> } };
    await waitFor('the same taints as kubectl shows', async () => {
      const mine = (await service.call('nodes.list', { cluster })).find((n) => n.name === target)?.taints ?? [];
      const want = (fromKubectl.spec.taints ?? []).map((t) => ({ key: t.key, ...(t.value === undefined ? {} : { value: t.value }), effect: t.effect }));
      return JSON.stringify(mine) === JSON.stringify(want);
    });
    await kubectl('uncordon', target);
    await waitFor('the uncordon', async () => (await service.call('nodes.list', { cluster })).find((n) => n.name === target)?.unschedulable === false, { timeoutMs: 30_000 });
  });

  it('flatdeck nodes --ssh --json reads every Flatcar node over SSH next to the real API server', async () => {
    const bin = new URL('../../bin/flatdeck.js', import.meta.url).pathname;
    // kwok nodes stand in for Flatcar nodes but have no address to dial: the listing is complete, the exit is
    // "partial" (4), and each kwok row says why it was not read.
    const failure = await run(
      process.execPath,
      [bin, 'nodes', '--kubeconfig', real.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--ssh', '--json', '--data-dir', join(dir, 'cli-data')],
      { env: { ...process.env, KUBECONFIG: '', HOME: dir, SSH_AUTH_SOCK: '' }, maxBuffer: 64 * 1024 * 1024 },
    ).then(
      () => assert.fail('exit 0 although the kwok nodes cannot be reached'),
      (err: { code?: number; stdout?: string }) => err,
    );
    assert.equal(failure.code, 4);
    const rows = JSON.parse(failure.stdout ?? '') as NodeRow[];
    const kwokRows = rows.filter((r) => r.name.startsWith('kwok-node-'));
    assert.equal(kwokRows.length, KWOK_NODES);
    for (const r of kwokRows) assert.match(r.error ?? '', /has no InternalIP address/, r.name);
    for (const machine of sim.machines) {
      const row = rows.find((r) => r.name === machine.name);
      assert.equal(row?.version, machine.osRelease().versionId, machine.name);
      assert.equal(row?.versionSource, 'ssh');
    }
  });
});
