// The CLI's answers to what an operator gets wrong or cannot reach, as the installed bin gives them: an unknown
// node (the closest real names), an API address with nothing listening and an API server that never answers
// (--request-timeout), and the GUI's words for update states, against a simulator in this test's loopback block.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UpdateOp } from '../../app/api/update-engine.ts';
import { updateStateOfOp, updateStateWords } from '../../app/api/update-state.ts';
import { EXIT } from '../../main/cli/command.ts';
import type { NodeRow } from '../../main/cli/commands/nodes.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { runFlatdeck, type CliRun } from '../support/run-flatdeck.ts';

const block = loopbackBlock();
const dir = mkdtempSync(join(tmpdir(), 'flatdeck-cli-errors-'));
let sim: SimCluster;
const flatdeck = (...args: string[]): Promise<CliRun> => runFlatdeck(dir, [...args, '--data-dir', join(dir, 'data')]);
const simArgs = () => ['--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--known-hosts', sim.knownHostsPath];

/** A kubeconfig for an API server at `host:port` (whatever answers there, if anything). */
function kubeconfigFor(name: string, host: string, port: number): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: ${name}, cluster: {server: "https://${host}:${port}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: u, user: {token: t}}]',
      `contexts: [{name: ${name}, context: {cluster: ${name}, user: u}}]`,
      `current-context: ${name}`,
      '',
    ].join('\n'),
  );
  return file;
}

before(async () => {
  sim = await startSimCluster({ nodes: 4, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: block.base, timeScale: 0.02, workload: false, scheduledUpdateChecks: false });
});
after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI against the simulator', () => {
  it('an unknown node: a usage error naming the closest real nodes', async () => {
    const real = sim.nodes[0]!.name;
    const typo = `${real}9`;
    const run = await flatdeck('update', typo, '--yes', ...simArgs());
    assert.equal(run.code, EXIT.usage, run.stderr);
    assert.match(run.stderr, new RegExp(`has no node named "${typo}"\\. Did you mean ${real}\\b`));
  });

  it('states in the GUI\'s words, the machine word kept in --json for scripts', async () => {
    const json = await flatdeck('nodes', '--ssh', '--json', ...simArgs());
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as NodeRow[];
    for (const row of rows) {
      const op = UpdateOp.safeParse(`UPDATE_STATUS_${row.update.state}`);
      const want = op.success ? updateStateWords[updateStateOfOp[op.data]] : row.updateEngineUnit !== 'enabled' ? updateStateWords['engine-off'] : null;
      assert.equal(row.update.word, want, `${row.name}: ${row.update.state} (${row.updateEngineUnit})`);
    }
    const text = await flatdeck('nodes', '--ssh', ...simArgs());
    assert.equal(text.code, 0, text.stderr);
    assert.doesNotMatch(text.stdout, /\b(IDLE|MASKED|UPDATE_AVAILABLE)\b/);
    for (const row of rows) assert.match(text.stdout, new RegExp(`^${row.name} .*  ${row.update.word!.replace(/[/]/g, '\\/')}`, 'm'));
  });
});

describe('an API server that cannot be used', () => {
  it('an address with nothing listening: exit 3 naming the server and the refused connection', async () => {
    const run = await flatdeck('nodes', '--kubeconfig', kubeconfigFor('nothing-there', block.host(201), 6443));
    assert.equal(run.code, EXIT.cluster);
    assert.match(run.stderr, new RegExp(`Cannot reach the API server of nothing-there \\(https://${block.host(201).replaceAll('.', '\\.')}:6443\\): the connection was refused`));
  });

  describe('one that accepts connections and never answers', () => {
    let silent: Server;
    const sockets = new Set<Socket>();
    before(async () => {
      silent = createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((r) => silent.listen(0, block.host(202), r));
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    });

    it('gives up after --request-timeout and says the server did not answer', async () => {
      const port = (silent.address() as { port: number }).port;
      const run = await flatdeck('nodes', '--request-timeout', '1s', '--kubeconfig', kubeconfigFor('silent', block.host(202), port));
      assert.equal(run.code, EXIT.cluster, run.stderr);
      assert.match(run.stderr, /silent/);
      assert.match(run.stderr, /time|answer/i);
    });
  });
});
