// The simulated nodes as the real OpenSSH client sees them: host keys verified from the generated
// known_hosts, exact command output, and the SSH-side faults switched through the control endpoint.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { generateKeyPair } from '../../sim/outputs.ts';
import { control, ssh, waitFor } from './sim-ssh-client.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const TIME_SCALE = 0.01;
const run = promisify(execFile);
let cluster: SimCluster;
let dir: string;

const w1 = block.host(1);
const w2 = block.host(2);

describe('simulated Flatcar nodes over OpenSSH', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-ssh-'));
    cluster = await startSimCluster({ nodes: 3, stateDir: dir, sshPort: 0, addressBase: w1, api: { kind: 'none' }, timeScale: TIME_SCALE, scheduledUpdateChecks: false });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes ssh_config, known_hosts and a 0600 identity that OpenSSH accepts with strict host key checking', async () => {
    assert.equal(statSync(cluster.identityPath).mode & 0o777, 0o600);
    const config = readFileSync(cluster.sshConfigPath, 'utf8');
    assert.match(config, new RegExp(`Host ${w1.replace(/\./g, '\\.')} worker-1\\n  HostName ${w1.replace(/\./g, '\\.')}\\n  Port ${cluster.nodes[0]?.port}\\n  User core\\n`));
    assert.match(readFileSync(cluster.knownHostsPath, 'utf8'), new RegExp(`^\\[${w1.replace(/\./g, '\\.')}\\]:${cluster.nodes[0]?.port} ssh-ed25519 `, 'm'));
    const r = await ssh(cluster.sshConfigPath, w1, 'grep VERSION_ID /etc/os-release');
    assert.deepEqual(r, { stdout: 'VERSION_ID=4459.2.1\n', stderr: '', code: 0 });
    const byName = await ssh(cluster.sshConfigPath, 'worker-2', 'grep VERSION_ID /etc/os-release');
    assert.deepEqual(byName, { stdout: 'VERSION_ID="4757.2.0"\n', stderr: '', code: 0 });
  });

  it('gives each node its own host key', () => {
    const keys = readFileSync(cluster.knownHostsPath, 'utf8').trim().split('\n').map((l) => l.split(' ')[2]);
    assert.equal(new Set(keys).size, 3);
  });

  it('answers cat /etc/os-release and boot_id on stdout', async () => {
    const osRelease = await ssh(cluster.sshConfigPath, w1, 'cat /etc/os-release');
    assert.equal(osRelease.code, 0);
    assert.match(osRelease.stdout, /^PRETTY_NAME="Flatcar Container Linux by Kinvolk 4459\.2\.1 \(Oklo\)"$/m);
    const bootId = await ssh(cluster.sshConfigPath, w1, 'cat /proc/sys/kernel/random/boot_id');
    assert.match(bootId.stdout, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$/);
    assert.equal(bootId.stdout.trim(), cluster.machines[0]?.bootId());
  });

  it('with update-engine masked, -status gives the D-Bus proxy retries on stderr and exits 1', async () => {
    const started = Date.now();
    const r = await ssh(cluster.sshConfigPath, w1, 'sudo update_engine_client -status');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 9);
    assert.match(lines[0] ?? '', /^I\d{8} \d\d:\d\d:\d\d\.\d{6} (?: \d{4}|\d{5}) update_engine_client\.cc:241\] Querying Update Engine status\.\.\.$/);
    assert.match(lines[1] ?? '', /^W.* update_engine_client\.cc:60\] Error getting dbus proxy for com\.coreos\.update1: GError\(3\): Could not get owner of name 'com\.coreos\.update1': no such name$/);
    assert.match(lines[2] ?? '', /update_engine_client\.cc:51\] Retrying to get dbus proxy\. Try 2\/4$/);
    assert.match(lines[8] ?? '', /^E.* update_engine_client\.cc:65\] Giving up -- unable to get dbus proxy for com\.coreos\.update1$/);
    assert.ok(Date.now() - started >= 30_000 * TIME_SCALE);
  });

  it('never executes shell operators sent over SSH', async () => {
    const bootId = cluster.machines[0]?.bootId();
    const r = await ssh(cluster.sshConfigPath, w1, 'grep VERSION_ID /etc/os-release; sudo systemctl reboot');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^grep: \/etc\/os-release;: No such file or directory\n/);
    const unknown = await ssh(cluster.sshConfigPath, w1, 'uname -a && sudo systemctl reboot');
    assert.deepEqual(unknown, { stdout: '', stderr: 'bash: line 1: uname: command not found\n', code: 127 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(cluster.machines[0]?.isUp(), true);
    assert.equal(cluster.machines[0]?.bootId(), bootId);
  });

  it('host-key-changed makes OpenSSH refuse; clearing the fault restores the original key', async () => {
    const added = await control(cluster.controlUrl, 'POST', '/faults', { kind: 'host-key-changed', node: 'worker-2' });
    assert.equal(added.status, 201);
    // The node's sshd restarts with the other key in the background: wait until it listens again.
    const refused = await waitFor('worker-2 sshd listening again', async () => {
      const r = await ssh(cluster.sshConfigPath, w2, 'true');
      return /Connection refused/.test(r.stderr) ? undefined : r;
    });
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    const other = await ssh(cluster.sshConfigPath, w1, 'true');
    assert.equal(other.code, 0, 'other nodes keep their key');
    assert.equal((await control(cluster.controlUrl, 'DELETE', '/faults')).status, 200);
    await waitFor('worker-2 back on its original key', async () => ((await ssh(cluster.sshConfigPath, w2, 'true')).code === 0 ? true : undefined));
  });

  it('ssh-auth-rejected gives "Permission denied (publickey)"', async () => {
    await control(cluster.controlUrl, 'POST', '/faults', { kind: 'ssh-auth-rejected', node: w1 });
    const r = await ssh(cluster.sshConfigPath, w1, 'true');
    assert.equal(r.code, 255);
    assert.match(r.stderr, new RegExp(`core@${w1.replace(/\./g, '\\.')}: Permission denied \\(publickey\\)\\.`));
    await control(cluster.controlUrl, 'DELETE', '/faults');
    assert.equal((await ssh(cluster.sshConfigPath, w1, 'true')).code, 0);
  });

  it('sudo-password makes sudo ask for a password', async () => {
    await control(cluster.controlUrl, 'POST', '/faults', { kind: 'sudo-password' });
    assert.deepEqual(await ssh(cluster.sshConfigPath, w1, 'sudo -n true'), { stdout: '', stderr: 'sudo: a password is required\n', code: 1 });
    await control(cluster.controlUrl, 'DELETE', '/faults');
    assert.deepEqual(await ssh(cluster.sshConfigPath, w1, 'sudo -n true'), { stdout: '', stderr: '', code: 0 });
  });

  it('ssh-slow delays answers; ssh-drop closes connections', async () => {
    await control(cluster.controlUrl, 'POST', '/faults', { kind: 'ssh-slow', node: 'worker-3', delayMs: 400 });
    const started = Date.now();
    assert.equal((await ssh(cluster.sshConfigPath, 'worker-3', 'true')).code, 0);
    assert.ok(Date.now() - started >= 800, 'authentication and exec are both delayed');
    await control(cluster.controlUrl, 'DELETE', '/faults');
    await control(cluster.controlUrl, 'POST', '/faults', { kind: 'ssh-drop', node: 'worker-3' });
    const dropped = await ssh(cluster.sshConfigPath, 'worker-3', 'true');
    assert.equal(dropped.code, 255);
    await control(cluster.controlUrl, 'DELETE', '/faults');
    assert.equal((await ssh(cluster.sshConfigPath, 'worker-3', 'true')).code, 0);
  });

  it('accepts an extra key only after it is authorised through the control endpoint', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'sim-ssh-key-'));
    try {
      const pair = generateKeyPair('extra');
      const keyPath = join(keyDir, 'extra');
      writeFileSync(keyPath, pair.private, { mode: 0o600 });
      const onlyExtraKey = ['-o', `IdentityFile=${keyPath}`, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${cluster.knownHostsPath}`, '-o', `Port=${cluster.nodes[0]?.port}`, '-l', 'core'];
      const before = await ssh('/dev/null', w1, 'true', onlyExtraKey);
      assert.equal(before.code, 255);
      assert.match(before.stderr, /Permission denied \(publickey\)/);
      assert.equal((await control(cluster.controlUrl, 'POST', '/authorized-keys', { key: pair.public })).status, 201);
      const after = await ssh('/dev/null', w1, 'true', onlyExtraKey);
      assert.equal(after.code, 0, after.stderr);
    } finally {
      rmSync(keyDir, { recursive: true, force: true });
    }
  });

  it('accepts a passphrase-protected key offered by ssh-agent once it is authorised', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'sim-ssh-agent-'));
    const socket = join(keyDir, 'agent.sock');
    let agentPid: number | undefined;
    try {
      await run('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-C', 'agent-key', '-f', join(keyDir, 'pp')]);
      const agent = await run('/usr/bin/ssh-agent', ['-s', '-a', socket]);
      agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1]);
      writeFileSync(join(keyDir, 'askpass'), "#!/bin/sh\necho 'correct horse'\n", { mode: 0o700 });
      await run('/usr/bin/ssh-add', [join(keyDir, 'pp')], {
        env: { ...process.env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: join(keyDir, 'askpass'), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
      });
      const viaAgent = ['-o', `IdentityAgent=${socket}`, '-o', 'IdentitiesOnly=no', '-o', `UserKnownHostsFile=${cluster.knownHostsPath}`, '-o', `Port=${cluster.nodes[0]?.port}`, '-l', 'core'];
      assert.equal((await ssh('/dev/null', w1, 'true', viaAgent)).code, 255, 'not authorised yet');
      const publicKey = readFileSync(join(keyDir, 'pp.pub'), 'utf8');
      assert.equal((await control(cluster.controlUrl, 'POST', '/authorized-keys', { key: readFileSync(join(keyDir, 'pp'), 'utf8') })).status, 400, 'a private key is refused');
      assert.equal((await control(cluster.controlUrl, 'POST', '/authorized-keys', { key: publicKey })).status, 201);
      const r = await ssh('/dev/null', w1, 'grep VERSION_ID /etc/os-release', viaAgent);
      assert.deepEqual(r, { stdout: 'VERSION_ID=4459.2.1\n', stderr: '', code: 0 });
    } finally {
      if (agentPid) process.kill(agentPid);
      rmSync(keyDir, { recursive: true, force: true });
    }
  });

  it('rejects invalid control requests with 400 and unknown routes with 404', async () => {
    assert.equal((await control(cluster.controlUrl, 'POST', '/faults', { kind: 'meteor' })).status, 400);
    assert.equal((await control(cluster.controlUrl, 'POST', '/faults', { kind: 'api-unavailable' })).status, 501, 'no API server in this cluster');
    assert.equal((await control(cluster.controlUrl, 'GET', '/nope')).status, 404);
    const state = (await control(cluster.controlUrl, 'GET', '/state')).json as { nodes: { name: string; power: string }[] };
    assert.deepEqual(state.nodes.map((n) => [n.name, n.power]), [['worker-1', 'up'], ['worker-2', 'up'], ['worker-3', 'up']]);
  });

  it('-watch_for_updates streams status blocks on stderr until a reboot cuts the connection', async () => {
    const watcher = spawn('/usr/bin/ssh', ['-F', cluster.sshConfigPath, '-o', 'BatchMode=yes', w2, 'update_engine_client -watch_for_updates'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    watcher.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    watcher.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => watcher.on('close', resolve));
    await waitFor('the watch to start', async () => (stderr.includes('Watching for status updates.') ? true : undefined));
    assert.equal((await ssh(cluster.sshConfigPath, w2, 'sudo update_engine_client -check_for_update')).code, 0);
    await waitFor('DOWNLOADING in the watch', async () => (stderr.includes('  current_operation: UPDATE_STATUS_DOWNLOADING') ? true : undefined));
    assert.match(stderr, /update_engine_client\.cc:80\] Got status update:\n.*update_engine_client\.cc:81\] {3}last_checked_time: \d+\n.*update_engine_client\.cc:82\] {3}progress: 0\n.*:83\] {3}current_operation: UPDATE_STATUS_CHECKING_FOR_UPDATE\n/);
    assert.equal(watcher.exitCode, null, 'the watch does not exit on its own');
    assert.equal((await ssh(cluster.sshConfigPath, w2, 'sudo systemctl reboot')).code, 0);
    assert.equal(await exited, 255);
    assert.equal(stdout, '');
    await waitFor('worker-2 back', async () => ((await ssh(cluster.sshConfigPath, w2, 'true')).code === 0 ? true : undefined));
  });
  it('passes the client\'s input to the command (grep without a file reads it)', async () => {
    const child = spawn('/usr/bin/ssh', ['-F', cluster.sshConfigPath, '-o', 'BatchMode=yes', w1, 'grep VERSION_ID'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.end('NAME="Flatcar Container Linux by Kinvolk"\nVERSION_ID=9.9.9\n');
    assert.equal(await exited, 0);
    assert.equal(stdout, 'VERSION_ID=9.9.9\n');
  });

  it('ends a command when its client hangs up without sending EOF (the watch stops on the node)', async () => {
    const w3 = block.host(3);
    for (const step of ['sudo systemctl unmask update-engine.service', 'sudo systemctl start update-engine.service']) {
      assert.equal((await ssh(cluster.sshConfigPath, w3, step)).code, 0, step);
    }
    const node = cluster.machines.find((m) => m.address === w3);
    assert.ok(node);
    const watcher = spawn('/usr/bin/ssh', ['-F', cluster.sshConfigPath, '-o', 'BatchMode=yes', w3, 'update_engine_client -watch_for_updates'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    watcher.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => watcher.on('close', () => resolve()));
    await waitFor('the watch to start', async () => (stderr.includes('Watching for status updates.') ? true : undefined));
    assert.equal(node.snapshot().runningCommands, 1);
    watcher.kill('SIGTERM');
    await exited;
    await waitFor('the watch to end on worker-3', async () => (node.snapshot().runningCommands === 0 ? true : undefined));
  });
});
