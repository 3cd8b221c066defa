// `flatdeck nodes` as an operator runs it (the installed bin, a child process) against a 20-node simulator:
// Kubernetes API for the list, real SSH (ssh2 against the sim's SSH servers) for VERSION_ID and -status.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { NodeRow } from '../../main/cli/commands/nodes.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { kubectlPath } from '../support/kubectl.ts';
import { runFlatdeck, type CliRun } from '../support/run-flatdeck.ts';
import { waitFor } from '../support/wait-for.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-cli-nodes-'));
let sim: SimCluster;

const flatdeck = (...args: string[]): Promise<CliRun> => runFlatdeck(dir, args);

const simEvents = (): Array<{ node: string; kind: string; to: unknown }> =>
  readFileSync(sim.eventsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

const clusterArgs = () => ['--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--data-dir', join(dir, 'data')];

before(async () => {
  sim = await startSimCluster({ nodes: 20, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: block.base, timeScale: 0.01, workload: false });
  // Every node registered with its osImage before the CLI lists them.
  await waitFor('20 registered nodes', async () => {
    const { stdout } = await promisify(execFile)(kubectlPath(), ['--kubeconfig', sim.kubeconfigPath, 'get', 'nodes', '-o', 'jsonpath={.items[*].status.nodeInfo.osImage}']);
    return (stdout.match(/Flatcar/g) ?? []).length === 20;
  });
});

after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('flatdeck nodes on a 20-node simulator', () => {
  it('--ssh --json returns every node with the VERSION_ID the node itself reports', async () => {
    // Scheduled update checks keep update_engine moving while the CLI runs: a row may show any state its node
    // was in between the start and the end of the call (from the node's snapshot and events.jsonl).
    const seenDuringCall = new Map(sim.machines.map((m) => [m.name, new Set<string>([m.snapshot().updateEngine?.currentOperation ?? 'UPDATE_STATUS_IDLE'])]));
    const eventsBefore = simEvents().length;
    const run = await flatdeck('nodes', ...clusterArgs(), '--ssh', '--json');
    for (const e of simEvents().slice(eventsBefore)) if (e.kind === 'update-engine') seenDuringCall.get(e.node)?.add(String(e.to));
    assert.equal(run.code, 0, run.stderr);
    const rows = JSON.parse(run.stdout) as NodeRow[];
    assert.equal(rows.length, 20);
    for (const machine of sim.machines) {
      const row = rows.find((r) => r.name === machine.name);
      assert.ok(row, `${machine.name} is listed`);
      assert.equal(row.versionSource, 'ssh');
      assert.equal(row.version, machine.osRelease().versionId, `${machine.name} VERSION_ID`);
      assert.equal(row.error, null, `${machine.name}: ${row.error}`);
      const unit = machine.snapshot().units['update-engine.service']?.file;
      assert.equal(row.updateEngineUnit === 'masked', unit === 'masked', `${machine.name} update-engine unit (${unit})`);
      if (unit !== 'masked') {
        assert.equal(row.update.source, 'ssh');
        const seen = seenDuringCall.get(machine.name)!;
        assert.ok(seen.has(`UPDATE_STATUS_${row.update.state}`), `${machine.name}: ${row.update.state} not among ${[...seen].join(', ')}`);
      }
    }
  });

  it('prints an aligned table without --ssh, versions from the osImage', async () => {
    const run = await flatdeck('nodes', ...clusterArgs());
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+OS\s+VERSION\s+CHANNEL\s+READY\s+CORDONED\s+UPDATE\s+ATTENTION$/);
    assert.equal(lines.length, 21);
    const versionColumn = lines[0]!.indexOf('VERSION');
    for (const machine of sim.machines) {
      const line = lines.find((l) => l.startsWith(`${machine.name} `));
      assert.ok(line, machine.name);
      assert.equal(line.slice(versionColumn).split(/\s+/)[0], machine.osRelease().versionId);
    }
  });

  it('exits 4 and names the node when one node refuses SSH, still listing the others', async () => {
    const victim = sim.machines[3]!;
    const fault = sim.faults.add({ kind: 'ssh-auth-rejected', node: victim.name });
    try {
      const run = await flatdeck('nodes', ...clusterArgs(), '--ssh', '--json');
      assert.equal(run.code, 4, run.stderr);
      const rows = JSON.parse(run.stdout) as NodeRow[];
      assert.equal(rows.length, 20);
      const bad = rows.find((r) => r.name === victim.name)!;
      assert.equal(bad.version, null);
      assert.match(bad.error ?? '', /rejected|auth/i);
      assert.equal(rows.filter((r) => r.error).length, 1);
    } finally {
      sim.faults.remove(fault.id);
    }
  });

  it('rejects bad flags with exit 2 and a readable message', async () => {
    const run = await flatdeck('nodes', '--sssh');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /Unknown option '--sssh'/);
    const mixed = await flatdeck('nodes', '--demo', '--context', 'prod');
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /--demo cannot be combined/);
  });

  it('exits 3 with the reason when the cluster cannot be used', async () => {
    const run = await flatdeck('nodes', '--kubeconfig', sim.kubeconfigPath, '--context', 'no-such-context', '--data-dir', join(dir, 'data'));
    assert.equal(run.code, 3);
    assert.match(run.stderr, /No cluster named "no-such-context"/);
  });
});
