import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { closestNames, unknownNodeError } from '../../app/cluster/unknown-node.ts';
import { EXIT } from '../../main/cli/command.ts';
import { builtinCommands } from '../../main/cli/commands/index.ts';
import { parseDuration } from '../../main/cli/duration.ts';
import { runCli } from '../../main/cli/run.ts';
import { capturedIo } from './cli-captured-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-cli-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function nodesWith(kubeconfig: string): Promise<{ code: number; err: string }> {
  const t = capturedIo();
  const code = await runCli(['nodes', '--kubeconfig', kubeconfig, '--data-dir', join(dir, 'data')], t, builtinCommands);
  return { code, err: t.err() };
}

describe('flatdeck with a --kubeconfig it cannot use', () => {
  it('names a missing file as the error, not as a warning before "pass --kubeconfig"', async () => {
    const missing = join(dir, 'no-such-config');
    const { code, err } = await nodesWith(missing);
    assert.equal(code, EXIT.cluster);
    assert.equal(err, `flatdeck nodes: --kubeconfig ${missing}: file not found.\n`);
  });

  it('says why a malformed file cannot be read', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'clusters: [\n');
    const { code, err } = await nodesWith(broken);
    assert.equal(code, EXIT.cluster);
    assert.match(err, new RegExp(`^flatdeck nodes: --kubeconfig ${broken}: not a readable kubeconfig \\(.+\\)\\.\\n$`));
    assert.doesNotMatch(err, /warning|pass --kubeconfig/);
  });

  it('says a well-formed file without contexts defines none', async () => {
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    const { code, err } = await nodesWith(empty);
    assert.equal(code, EXIT.cluster);
    assert.match(err, /--kubeconfig .*empty\.yaml: it defines no context/);
  });

  it('refuses a --request-timeout that is not a duration of at least 1s', async () => {
    for (const bad of ['soon', '0s']) {
      const t = capturedIo();
      assert.equal(await runCli(['nodes', '--request-timeout', bad], t, builtinCommands), EXIT.usage);
      assert.match(t.err(), /--request-timeout/);
    }
    assert.equal(parseDuration('1m30s'), 90);
  });
});

describe('an unknown node name', () => {
  const fleet = ['worker-1', 'worker-2', 'worker-3', 'worker-10', 'control-plane-1', 'gpu-a'];

  it('is answered with the real names closest to it', () => {
    assert.deepEqual(closestNames('worker-4', fleet), ['worker-1', 'worker-2', 'worker-3']);
    assert.deepEqual(closestNames('wokrer-10', fleet)[0], 'worker-10', 'the nearest first');
    assert.deepEqual(closestNames('control', fleet), ['control-plane-1']);
    assert.deepEqual(closestNames('database-7', fleet), []);
  });

  it('is a not-found error that names them, or says how to list the nodes when none is close', () => {
    const near = unknownNodeError('prod', 'worker-4', fleet);
    assert.equal(near.kind, 'not-found');
    assert.equal(near.message, 'Cluster prod has no node named "worker-4". Did you mean worker-1, worker-2, worker-3?');
    assert.equal(unknownNodeError('prod', 'database-7', fleet).message, 'Cluster prod has no node named "database-7". It has 6 nodes; `flatdeck nodes` lists them.');
  });
});
