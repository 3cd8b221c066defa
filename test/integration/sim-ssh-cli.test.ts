// `npm run sim` as a process: one JSON line on stdout describing the outputs, nodes reachable with the real
// OpenSSH client, and a clean shutdown on SIGTERM (listeners closed, exit 0).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ssh } from './sim-ssh-client.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));

describe('sim CLI', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON line, serves SSH (profile mixed by default: stock nodes after the fixed three), and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--nodes', '4', '--state-dir', dir, '--api', 'none', '--ssh-port', '0', '--address-base', block.base, '--time-scale', '0.01', '--fault', 'sudo-password:worker-2'], {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let stdout = '';
    const firstLine = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
      });
      child.on('close', (code) => reject(new Error(`sim exited early with ${code}`)));
    });
    const info = JSON.parse(firstLine) as Record<string, unknown> & { nodes: { name: string; address: string; port: number; version: string; channel: string }[] };
    assert.deepEqual(Object.keys(info), ['kubeconfig', 'sshConfig', 'knownHosts', 'identity', 'events', 'control', 'apiServer', 'nodes']);
    assert.equal(info.sshConfig, join(dir, 'ssh_config'));
    assert.match(String(info.control), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(info.nodes.slice(0, 2).map((n) => [n.name, n.address, n.version, n.channel]), [
      ['worker-1', block.host(1), '4459.2.1', 'stable'],
      ['worker-2', block.host(2), '4757.2.0', 'stable'],
    ]);
    assert.ok(existsSync(join(dir, 'id_ed25519')) && existsSync(join(dir, 'known_hosts')));

    assert.deepEqual(await ssh(join(dir, 'ssh_config'), 'worker-1', 'sudo -n true'), { stdout: '', stderr: '', code: 0 });
    assert.equal((await ssh(join(dir, 'ssh_config'), 'worker-2', 'sudo -n true')).stderr, 'sudo: a password is required\n', 'the --fault flag applied');
    assert.deepEqual(await ssh(join(dir, 'ssh_config'), 'worker-4', 'systemctl is-active update-engine.service locksmithd.service'), { stdout: 'active\nactive\n', stderr: '', code: 0 }, 'worker-4 is a stock node');
    assert.deepEqual(await ssh(join(dir, 'ssh_config'), 'worker-4', 'systemctl is-enabled locksmithd.service'), { stdout: 'disabled\n', stderr: '', code: 1 });
    assert.deepEqual(await ssh(join(dir, 'ssh_config'), 'worker-1', 'systemctl is-enabled locksmithd.service'), { stdout: 'masked\n', stderr: '', code: 1 }, 'worker-1 stays the Kubermatic node');

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const gone = await ssh(join(dir, 'ssh_config'), 'worker-1', 'true');
    assert.equal(gone.code, 255);
    assert.match(gone.stderr, /Connection refused/);
  });

  it('rejects invalid arguments with a usage message and exit 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--nodes', 'zero', '--state-dir', dir], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /usage: npm run sim -- --nodes N --state-dir DIR/);
    const bad = spawn(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--nodes', '1', '--profile', 'ubuntu', '--state-dir', dir], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
    let badErr = '';
    bad.stderr.on('data', (d: Buffer) => (badErr += d.toString()));
    assert.equal(await new Promise<number | null>((resolve) => bad.on('close', resolve)), 2);
    assert.match(badErr, /profile/);
  });
});
