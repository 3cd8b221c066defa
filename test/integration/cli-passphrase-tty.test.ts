// `flatdeck nodes --ssh` on a real terminal (a pty from util-linux `script`) with an encrypted identity file:
// the passphrase is asked once for all nodes and never echoed.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { kubectlPath } from '../support/kubectl.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { waitFor } from '../support/wait-for.ts';

const BIN = new URL('../../bin/flatdeck.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'flatdeck-cli-tty-'));
let sim: SimCluster;

before(async () => {
  sim = await startSimCluster({ nodes: 3, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: loopbackBlock().base, timeScale: 0.01, workload: false });
  await waitFor('3 registered nodes', async () => {
    const { stdout } = await promisify(execFile)(kubectlPath(), ['--kubeconfig', sim.kubeconfigPath, 'get', 'nodes', '-o', 'name']);
    return stdout.trim().split('\n').length === 3;
  });
});

after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('asks for the passphrase once for every node, without echoing it', async () => {
  const key = join(dir, 'id_encrypted');
  copyFileSync(sim.identityPath, key);
  execFileSync('ssh-keygen', ['-q', '-p', '-a', '2', '-P', '', '-N', 'sesame-7', '-f', key]);
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(sshConfig, readFileSync(sim.sshConfigPath, 'utf8').replaceAll(sim.identityPath, key));
  const command = [process.execPath, BIN, 'nodes', '--ssh', '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sshConfig, '--data-dir', join(dir, 'data')]
    .map((a) => `'${a}'`)
    .join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, KUBECONFIG: '', HOME: dir, SSH_AUTH_SOCK: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout.on('data', (d: Buffer) => (screen += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await waitFor('the passphrase question', () => screen.includes('Passphrase for'), { timeoutMs: 60_000 });
    child.stdin.write('sesame-7\r');
    assert.equal(await exited, 0, screen);
  } finally {
    child.kill();
  }
  assert.equal(screen.split('Passphrase for').length - 1, 1, `asked once:\n${screen}`);
  assert.ok(!screen.includes('sesame-7'), `the passphrase is not on the screen:\n${screen}`);
  for (const machine of sim.machines) assert.match(screen, new RegExp(`${machine.name}\\s+flatcar\\s+${machine.osRelease().versionId.replaceAll('.', '\\.')}`));
});
