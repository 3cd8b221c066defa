// API-side faults switched through the simulator's control endpoint reach the built-in API server, as the
// real kubectl sees them: 5xx answers, refused connections, and a PodDisruptionBudget that blocks a drain.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { control, waitFor } from './sim-ssh-client.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const run = promisify(execFile);
let cluster: SimCluster;
let dir: string;

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfigPath, '--request-timeout=5s', ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('API faults through the control endpoint', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-api-faults-'));
    cluster = await startSimCluster({ nodes: 2, stateDir: dir, sshPort: 0, addressBase: block.base, timeScale: 0.05, scheduledUpdateChecks: false });
    await waitFor('the workload to run', async () => {
      const r = await kubectl('get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.phase}');
      return r.code === 0 && r.stdout.split(' ').filter((p) => p === 'Running').length >= 2 ? true : undefined;
    }, 30_000, 200);
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 5xx burst fails kubectl until the fault is removed', async () => {
    assert.equal((await control(cluster.controlUrl, 'POST', '/faults', { kind: 'api-5xx-burst', count: 10_000 })).status, 201);
    const failing = await kubectl('get', 'nodes');
    assert.notEqual(failing.code, 0);
    assert.match(failing.stderr, /ServiceUnavailable|the server is currently unable to handle the request/);
    await control(cluster.controlUrl, 'DELETE', '/faults');
    assert.equal((await kubectl('get', 'nodes')).code, 0);
  });

  it('api-unavailable refuses connections for its duration', async () => {
    await control(cluster.controlUrl, 'POST', '/faults', { kind: 'api-unavailable', durationMs: 1500 });
    const refused = await kubectl('get', 'nodes');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /was refused|connection refused/i);
    await waitFor('the API to come back', async () => ((await kubectl('get', 'nodes')).code === 0 ? true : undefined), 15_000, 200);
    await control(cluster.controlUrl, 'DELETE', '/faults');
  });

  it('pdb-never-allows blocks a drain until the fault is removed', async () => {
    const node = (await kubectl('get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'jsonpath={.items[0].spec.nodeName}')).stdout.trim();
    assert.ok(node, 'a web pod runs somewhere');
    assert.equal((await control(cluster.controlUrl, 'POST', '/faults', { kind: 'pdb-never-allows', namespace: 'shop', name: 'web' })).status, 201);
    const blocked = await kubectl('drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=3s');
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr, /disruption budget/);
    await control(cluster.controlUrl, 'DELETE', '/faults');
    const drained = await kubectl('drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=30s');
    assert.equal(drained.code, 0, drained.stderr);
    assert.equal((await kubectl('uncordon', node)).code, 0);
  });
});
