import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSH_FAN_OUT } from '../../app/ssh/map-limited.ts';
import { SshPool, type SshPoolOptions } from '../../app/ssh/pool.ts';
import { SshError } from '../../app/ssh/errors.ts';
import { SshConfigFile } from '../../app/ssh/ssh-config.ts';
import { updateEngineClient } from '../../app/flatcar/update-engine.ts';
import { toShellLine } from '../../app/flatcar/command.ts';
import { grepVersionId } from '../../app/flatcar/os-release.ts';
import { generateEd25519, scriptedPrompter, startTestPeer, type TestPeer } from './ssh-test-peer.ts';

const home = mkdtempSync(join(tmpdir(), 'flatdeck-ssh-pool-'));
mkdirSync(join(home, '.ssh'), { mode: 0o700 });
const clientKey = generateEd25519();
writeFileSync(join(home, '.ssh', 'id_ed25519'), clientKey.private, { mode: 0o600 });
const knownHosts = join(home, '.ssh', 'known_hosts');

function poolFor(extra: Partial<SshPoolOptions> = {}, answers: Parameters<typeof scriptedPrompter>[0] = {}) {
  const script = scriptedPrompter(answers);
  const pool = new SshPool({
    prompter: script.prompter, home, agentSocket: null,
    knownHosts: { userKnownHostsFiles: [knownHosts], globalKnownHostsFiles: [] },
    ...extra,
  });
  return { pool, asked: script.asked };
}

const trust = (peer: TestPeer) => writeFileSync(knownHosts, `[${peer.host}]:${peer.port} ${peer.hostKeyPublic}\n`, { flag: 'a' });
const target = (peer: TestPeer, nodeName = 'node-1') => ({ nodeName, host: peer.host, port: peer.port });
const rejectsWith = (kind: string) => (e: unknown) => e instanceof SshError && e.kind === kind;

function sshKeygenFingerprint(publicLine: string): string {
  const file = join(home, `fp-${Math.random()}.pub`);
  writeFileSync(file, `${publicLine}\n`);
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' }).split(' ')[1]!;
}

describe('SshPool against an ssh2 test server', () => {
  let peer: TestPeer;
  before(async () => {
    peer = await startTestPeer({
      authorizedKeys: [clientKey.public],
      answer: (line) => {
        if (line.endsWith('-status')) return { stdout: 'LAST_CHECKED_TIME=0\nPROGRESS=0.000000\nCURRENT_OP=UPDATE_STATUS_IDLE\nNEW_VERSION=0.0.0\nNEW_SIZE=0\n', stderr: 'I… Querying\n' };
        if (line.includes('slow')) return { delayMs: 5000 };
        if (line.includes('big')) return { stdout: 'x'.repeat(100_000) };
        if (line.includes('hang')) return { hang: true, stdout: 'partial\n' };
        if (line.includes('wait')) return { delayMs: 60, stdout: 'ok\n' };
        return { stdout: 'VERSION_ID=3033.2.0\n', code: 0 };
      },
    });
    trust(peer);
  });
  after(async () => {
    await peer.stop();
  });

  it('runs a command and returns stdout, stderr and the exit code; the server receives the quoted line', async () => {
    const { pool } = poolFor();
    const r = await pool.exec(target(peer), toShellLine(updateEngineClient.status()));
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout, /CURRENT_OP=UPDATE_STATUS_IDLE/);
    assert.equal(r.stderr, 'I… Querying\n');
    assert.equal(peer.execLines.at(-1), 'sudo -n update_engine_client -status');
    await pool.close();
  });

  it('runs many commands on one connection with at most 8 channels at a time', async () => {
    const { pool } = poolFor();
    const before = peer.connections;
    peer.maxConcurrentExecs = 0;
    const results = await Promise.all(Array.from({ length: 40 }, () => pool.exec(target(peer, 'node-c'), 'wait')));
    assert.ok(results.every((r) => r.stdout === 'ok\n'));
    assert.equal(peer.connections - before, 1);
    assert.equal(peer.maxConcurrentExecs, 8);
    await pool.close();
  });

  it('kills a command at its timeout and says so', async () => {
    const { pool } = poolFor();
    const closedBefore = peer.closedChannels;
    await assert.rejects(pool.exec(target(peer), 'slow', { timeoutMs: 150 }), (e: unknown) =>
      rejectsWith('timeout')(e) && /did not finish within/.test((e as Error).message));
    await waitFor(() => peer.closedChannels > closedBefore);
    await pool.close();
  });

  it('the time limit also covers waiting for a free channel, and a late slot is not leaked', async () => {
    const { pool } = poolFor({ maxChannelsPerConnection: 1 });
    const controller = new AbortController();
    const hung = pool.exec(target(peer, 'one-channel'), 'hang', { signal: controller.signal });
    await assert.rejects(pool.exec(target(peer, 'one-channel'), toShellLine(grepVersionId()), { timeoutMs: 100 }), rejectsWith('timeout'));
    controller.abort();
    await assert.rejects(hung, { name: 'AbortError' });
    assert.equal((await pool.exec(target(peer, 'one-channel'), toShellLine(grepVersionId()), { timeoutMs: 10_000 })).exitCode, 0);
    await pool.close();
  });

  it('the time limit and the signal also cover a channel the server never confirms (a node that went quiet on a live connection)', async () => {
    const { pool } = poolFor();
    const node = target(peer, 'quiet-channels');
    assert.equal((await pool.exec(node, toShellLine(grepVersionId()))).exitCode, 0, 'connected');
    peer.answerSessions = false;
    try {
      await assert.rejects(pool.exec(node, toShellLine(grepVersionId()), { timeoutMs: 150 }), rejectsWith('timeout'));
      const controller = new AbortController();
      const cancelled = pool.exec(node, toShellLine(grepVersionId()), { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(cancelled, { name: 'AbortError' });
    } finally {
      peer.answerSessions = true;
    }
    await pool.close();
  });

  it('an AbortSignal ends a stream and closes its channel', async () => {
    const { pool } = poolFor();
    const controller = new AbortController();
    const seen: string[] = [];
    const run = pool.exec(target(peer), 'hang', { on: { stdout: (s) => { seen.push(s); controller.abort(); } }, signal: controller.signal });
    await assert.rejects(run, { name: 'AbortError' });
    assert.deepEqual(seen, ['partial\n']);
    await pool.close();
  });

  it('bounds collected output', async () => {
    const { pool } = poolFor({ maxOutputBytes: 1000 });
    const r = await pool.exec(target(peer), 'big');
    assert.equal(r.stdout.length, 1000);
    assert.equal(r.truncated, true);
    await pool.close();
  });

  it('dials again after the connection died (as after a reboot)', async () => {
    const { pool } = poolFor();
    const before = peer.connections;
    await pool.exec(target(peer), toShellLine(grepVersionId()));
    peer.dropAll();
    await waitFor(() => pool.stats().openConnections === 0);
    const r = await pool.exec(target(peer), toShellLine(grepVersionId()));
    assert.equal(r.stdout, 'VERSION_ID=3033.2.0\n');
    assert.equal(peer.connections - before, 2);
    await pool.close();
  });

  it('keepalive notices a peer that went silent and the next command dials again', async () => {
    let blackhole = false;
    const relay = createServer((client) => {
      const upstream = tcpConnect({ host: peer.host, port: peer.port });
      client.on('data', (d) => { if (!blackhole) upstream.write(d); });
      upstream.on('data', (d) => { if (!blackhole) client.write(d); });
      const end = () => { client.destroy(); upstream.destroy(); };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const relayPort = (relay.address() as { port: number }).port;
    writeFileSync(knownHosts, `[127.0.0.1]:${relayPort} ${peer.hostKeyPublic}\n`, { flag: 'a' });
    const { pool } = poolFor({ keepaliveIntervalMs: 100, keepaliveCountMax: 2 });
    const t = { nodeName: 'quiet', host: '127.0.0.1', port: relayPort };
    await pool.exec(t, toShellLine(grepVersionId()));
    blackhole = true; // like a node that lost power: no FIN, no RST, just silence
    await waitFor(() => pool.stats().openConnections === 0, 3000);
    blackhole = false;
    assert.equal((await pool.exec(t, toShellLine(grepVersionId()))).exitCode, 0);
    assert.equal(pool.stats().connectsMade, 2);
    await pool.close();
    await new Promise<void>((r) => relay.close(() => r()));
  });

  it('refuses hosts that are not host names or IPs, without dialing', async () => {
    const { pool } = poolFor();
    const before = peer.connections;
    for (const host of ['127.0.0.1;reboot', '$(reboot)', 'a b', 'x\nreboot']) {
      await assert.rejects(pool.exec({ nodeName: 'n', host, port: peer.port }, toShellLine(grepVersionId())), rejectsWith('unreachable'));
    }
    assert.equal(peer.connections, before);
    await pool.close();
  });
});

describe('host key verification', () => {
  it('asks about an unknown host with the ssh-keygen fingerprint, records it when accepted, then does not ask again', async () => {
    const peer = await startTestPeer({ authorizedKeys: [clientKey.public] });
    const { pool, asked } = poolFor({}, { hostKey: true });
    await pool.exec(target(peer), toShellLine(grepVersionId()));
    assert.equal(asked.hostKeys.length, 1);
    assert.deepEqual(asked.hostKeys[0], { host: '127.0.0.1', port: peer.port, keyType: 'ssh-ed25519', fingerprint: sshKeygenFingerprint(peer.hostKeyPublic), otherKnownKeys: [] });
    // OpenSSH itself finds the recorded entry
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${peer.port}`, '-f', knownHosts], { encoding: 'utf8' });
    assert.match(found, new RegExp(peer.hostKeyPublic.split(' ')[1]!.slice(0, 30).replace(/[+/]/g, '\\$&')));
    await pool.close();
    const second = poolFor({}, { hostKey: false });
    await second.pool.exec(target(peer), toShellLine(grepVersionId()));
    assert.equal(second.asked.hostKeys.length, 0);
    await second.pool.close();
    await peer.stop();
  });

  it('a rejected unknown host runs nothing', async () => {
    const peer = await startTestPeer({ authorizedKeys: [clientKey.public] });
    const { pool, asked } = poolFor({}, { hostKey: false });
    await assert.rejects(pool.exec(target(peer), toShellLine(grepVersionId())), rejectsWith('host-key-unknown-rejected'));
    assert.equal(asked.hostKeys.length, 1);
    assert.deepEqual(peer.execLines, []);
    await pool.close();
    await peer.stop();
  });

  it('refuses a changed key and shows both fingerprints, without asking', async () => {
    const peer = await startTestPeer({ authorizedKeys: [clientKey.public] });
    const old = generateEd25519().public.split(' ').slice(0, 2).join(' ');
    writeFileSync(knownHosts, `[127.0.0.1]:${peer.port} ${old}\n`, { flag: 'a' });
    const { pool, asked } = poolFor({}, { hostKey: true });
    await assert.rejects(pool.exec(target(peer), toShellLine(grepVersionId())), (e: unknown) => {
      assert.ok(rejectsWith('host-key-changed')(e));
      const err = e as SshError;
      assert.ok(err.message.includes(sshKeygenFingerprint(old)));
      assert.ok(err.message.includes(sshKeygenFingerprint(peer.hostKeyPublic)));
      return true;
    });
    assert.equal(asked.hostKeys.length, 0);
    assert.deepEqual(peer.execLines, []);
    await pool.close();
    await peer.stop();
  });

  it('never connects unverified, even when ~/.ssh/config says StrictHostKeyChecking no', async () => {
    const peer = await startTestPeer({ authorizedKeys: [clientKey.public] });
    const sshConfig = SshConfigFile.parse('Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n');
    const { pool, asked } = poolFor({ sshConfig }, { hostKey: false });
    await assert.rejects(pool.exec(target(peer), toShellLine(grepVersionId())), rejectsWith('host-key-unknown-rejected'));
    assert.equal(asked.hostKeys.length, 1);
    assert.deepEqual(peer.execLines, []);
    await pool.close();
    await peer.stop();
  });

  it('asks once when many connections race to the same unknown host', async () => {
    const peer = await startTestPeer({ authorizedKeys: [clientKey.public] });
    const file = join(home, 'race_known_hosts');
    const { pool, asked } = poolFor({ knownHosts: { userKnownHostsFiles: [file], globalKnownHostsFiles: [] } }, { hostKey: true });
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => pool.exec(target(peer, n), toShellLine(grepVersionId()))));
    assert.equal(asked.hostKeys.length, 1);
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
    await pool.close();
    await peer.stop();
  });

  it('the handshake deadline waits while the operator reads the fingerprint', async () => {
    const peer = await startTestPeer({ authorizedKeys: [clientKey.public] });
    const pool = new SshPool({
      home, agentSocket: null, connectTimeoutMs: 300,
      knownHosts: { userKnownHostsFiles: [join(home, 'slow_known_hosts')], globalKnownHostsFiles: [] },
      prompter: { confirmHostKey: () => new Promise((r) => setTimeout(() => r(true), 700)), askPassphrase: async () => null },
    });
    assert.equal((await pool.exec(target(peer), toShellLine(grepVersionId()))).exitCode, 0);
    await pool.close();
    await peer.stop();
  });
});

describe('authentication and reachability', () => {
  it('asks for a key passphrase, retries a wrong one, and keeps it for the next connection', async () => {
    const keyPath = join(mkdtempSync(join(home, 'enc-')), 'id_enc');
    // -a 2: few KDF rounds keep ssh2's pure-JS bcrypt quick; the key format is the same as with the default 16
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '2', '-N', 'sesame', '-f', keyPath]);
    const pub = readFileSync(`${keyPath}.pub`, 'utf8');
    const peers = [await startTestPeer({ authorizedKeys: [pub] }), await startTestPeer({ authorizedKeys: [pub] })];
    peers.forEach(trust);
    const sshConfig = SshConfigFile.parse(`Host *\n  IdentityFile ${keyPath}\n`);
    const { pool, asked } = poolFor({ sshConfig }, { passphrases: ['wrong', 'sesame'] });
    await pool.exec(target(peers[0]!), toShellLine(grepVersionId()));
    await pool.exec(target(peers[1]!, 'node-2'), toShellLine(grepVersionId()));
    assert.deepEqual(asked.passphrases, [keyPath, keyPath]); // wrong, then right; not again for node-2
    await pool.close();

    const declined = poolFor({ sshConfig }, { passphrases: [null] });
    await assert.rejects(declined.pool.exec(target(peers[0]!), toShellLine(grepVersionId())), rejectsWith('passphrase-needed'));
    await declined.pool.close();
    await Promise.all(peers.map((p) => p.stop()));
  });

  it('reports a rejected login and an unreachable node distinctly', async () => {
    const peer = await startTestPeer({ authorizedKeys: [] });
    trust(peer);
    const { pool } = poolFor();
    await assert.rejects(pool.exec(target(peer), toShellLine(grepVersionId())), (e: unknown) =>
      rejectsWith('auth-rejected')(e) && /tried key .*id_ed25519/.test((e as Error).message));
    const closedPort = await freePort();
    await assert.rejects(pool.exec({ nodeName: 'gone', host: '127.0.0.1', port: closedPort }, toShellLine(grepVersionId())), (e: unknown) =>
      rejectsWith('unreachable')(e) && /connection refused/.test((e as Error).message));
    await pool.close();
    await peer.stop();
  });

  it('gives up on a server that accepts TCP but never speaks SSH', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const { pool } = poolFor({ connectTimeoutMs: 200 });
    const started = Date.now();
    await assert.rejects(pool.exec({ nodeName: 'mute', host: '127.0.0.1', port: (silent.address() as { port: number }).port }, toShellLine(grepVersionId())),
      (e: unknown) => rejectsWith('unreachable')(e) && /did not complete the SSH handshake within 0.2 s/.test((e as Error).message));
    assert.ok(Date.now() - started < 2000);
    const port = (silent.address() as { port: number }).port;
    await assert.rejects(pool.exec({ nodeName: 'mute', host: '127.0.0.1', port }, toShellLine(grepVersionId()), { timeoutMs: 50 }), rejectsWith('timeout'));
    await pool.close();
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('opens no more sockets at once than the SSH fan-out: extra nodes wait until a connection is idle, none in use is closed', async () => {
    const busy = await startTestPeer({ authorizedKeys: [clientKey.public], answer: () => ({ delayMs: 150, stdout: 'VERSION_ID=3033.2.0\n' }) });
    trust(busy);
    const { pool } = poolFor();
    const nodes = Array.from({ length: SSH_FAN_OUT + 4 }, (_, i) => target(busy, `n${i}`));
    const all = Promise.all(nodes.map((n) => pool.exec(n, toShellLine(grepVersionId()))));
    await waitFor(() => busy.maxConcurrentExecs === SSH_FAN_OUT);
    assert.equal(busy.connections, SSH_FAN_OUT, 'the other nodes queue while every connection runs a command');
    const results = await all;
    assert.ok(results.every((r) => r.exitCode === 0 && r.stdout === 'VERSION_ID=3033.2.0\n'));
    assert.equal(busy.connections, SSH_FAN_OUT + 4);
    assert.equal(busy.maxOpenConnections, SSH_FAN_OUT);
    await pool.close();
    await busy.stop();
  });

  it('closes the least recently used idle connection, not the oldest one, to make room', async () => {
    const peer = await startTestPeer({ authorizedKeys: [clientKey.public] });
    trust(peer);
    const { pool } = poolFor({ maxConnections: 2 });
    const run = (name: string) => pool.exec(target(peer, name), toShellLine(grepVersionId()));
    await run('a');
    await run('b');
    await run('a'); // b is now the least recently used
    await run('c'); // closes b
    assert.equal(peer.connections, 3);
    await run('a'); // still open
    assert.equal(peer.connections, 3);
    await run('b'); // dials again, closing c
    assert.equal(peer.connections, 4);
    await run('a');
    assert.equal(peer.connections, 4);
    assert.equal(peer.maxOpenConnections, 2);
    await pool.close();
    await peer.stop();
  });

  it('leaves the cap to other work while connections carry only long-lived commands (watches)', async () => {
    const peer = await startTestPeer({ authorizedKeys: [clientKey.public], answer: (line) => (line.includes('watch') ? { hang: true, stdout: 'watching\n' } : { stdout: 'VERSION_ID=3033.2.0\n' }) });
    trust(peer);
    const { pool } = poolFor({ maxConnections: 2 });
    const stop = new AbortController();
    const watches = ['a', 'b'].map((name) => pool.exec(target(peer, name), 'watch', { longLived: true, signal: stop.signal }).catch(() => 'stopped'));
    try {
      await waitFor(() => peer.connections === 2);
      // both places under the cap hold a watch; a short command on a third node still runs
      const read = await pool.exec(target(peer, 'c'), toShellLine(grepVersionId()), { timeoutMs: 10_000 });
      assert.equal(read.stdout, 'VERSION_ID=3033.2.0\n');
      // a short command on a watched node shares its connection
      await pool.exec(target(peer, 'a'), toShellLine(grepVersionId()), { timeoutMs: 10_000 });
      assert.equal(peer.connections, 3);
    } finally {
      stop.abort();
      assert.deepEqual(await Promise.all(watches), ['stopped', 'stopped']);
      await pool.close();
      await peer.stop();
    }
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

// A generous deadline: it only matters when something is wrong, and a loaded 2-core CI machine is slow.
async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

after(() => rmSync(home, { recursive: true, force: true }));
