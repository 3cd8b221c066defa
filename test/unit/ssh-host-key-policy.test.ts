// Host key policy against real SSH servers (ssh2's Server): OpenSSH's behaviour for a host known only under
// another key type, StrictHostKeyChecking yes, and no SHA-1 (`ssh-rsa`) host key signatures.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { SshError } from '../../app/ssh/errors.ts';
import { SshPool } from '../../app/ssh/pool.ts';
import { SshConfigFile } from '../../app/ssh/ssh-config.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { generateEd25519, scriptedPrompter, startTestPeer } from './ssh-test-peer.ts';

const block = loopbackBlock();
const home = mkdtempSync(join(tmpdir(), 'flatdeck-host-key-policy-'));
mkdirSync(join(home, '.ssh'), { mode: 0o700 });
const clientKey = generateEd25519();
writeFileSync(join(home, '.ssh', 'id_ed25519'), clientKey.private, { mode: 0o600 });
after(() => rmSync(home, { recursive: true, force: true }));

function poolWith(knownHostsText: string, opts: { sshConfig?: string; acceptHostKey?: boolean } = {}) {
  const knownHosts = join(mkdtempSync(join(home, 'kh-')), 'known_hosts');
  writeFileSync(knownHosts, knownHostsText);
  const script = scriptedPrompter({ hostKey: opts.acceptHostKey ?? false });
  const pool = new SshPool({
    prompter: script.prompter,
    home,
    agentSocket: null,
    knownHosts: { userKnownHostsFiles: [knownHosts], globalKnownHostsFiles: [] },
    ...(opts.sshConfig ? { sshConfig: SshConfigFile.parse(opts.sshConfig) } : {}),
  });
  return { pool, asked: script.asked, knownHosts };
}

function sshKeygenFingerprint(publicLine: string): string {
  const file = join(mkdtempSync(join(home, 'fp-')), 'key.pub');
  writeFileSync(file, `${publicLine}\n`);
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' }).split(' ')[1]!;
}

describe('host key policy', () => {
  it('a host known only under another key type: the question carries the known key’s type, fingerprint and line', async () => {
    const peer = await startTestPeer({ host: block.host(1), authorizedKeys: [clientKey.public] });
    const ecdsa = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });
    const { pool, asked, knownHosts } = poolWith(`# fleet\n[${peer.host}]:${peer.port} ${ecdsa.public}\n`);
    try {
      await assert.rejects(pool.exec({ nodeName: 'n1', host: peer.host, port: peer.port }, 'true'), (e: unknown) => e instanceof SshError && e.kind === 'host-key-unknown-rejected');
      assert.equal(asked.hostKeys.length, 1);
      assert.deepEqual(asked.hostKeys[0], {
        host: peer.host,
        port: peer.port,
        keyType: 'ssh-ed25519',
        fingerprint: sshKeygenFingerprint(peer.hostKeyPublic),
        otherKnownKeys: [{ keyType: 'ecdsa-sha2-nistp256', fingerprint: sshKeygenFingerprint(ecdsa.public), file: knownHosts, line: 2 }],
      });
      assert.deepEqual(peer.execLines, []);
    } finally {
      await pool.close();
      await peer.stop();
    }
  });

  it('StrictHostKeyChecking yes refuses an unknown host without asking, and still connects to a known one', async () => {
    const peer = await startTestPeer({ host: block.host(2), authorizedKeys: [clientKey.public] });
    const sshConfig = `Host ${peer.host}\n  StrictHostKeyChecking yes\n`;
    const unknown = poolWith('', { sshConfig, acceptHostKey: true });
    const known = poolWith(`[${peer.host}]:${peer.port} ${peer.hostKeyPublic}\n`, { sshConfig });
    try {
      await assert.rejects(unknown.pool.exec({ nodeName: 'n2', host: peer.host, port: peer.port }, 'true'), (e: unknown) =>
        e instanceof SshError && e.kind === 'host-key-unknown-rejected' && /StrictHostKeyChecking is yes/.test(e.message));
      assert.equal(unknown.asked.hostKeys.length, 0, 'no question was asked');
      assert.deepEqual(peer.execLines, []);
      assert.equal((await known.pool.exec({ nodeName: 'n2', host: peer.host, port: peer.port }, 'true')).exitCode, 0);
    } finally {
      await unknown.pool.close();
      await known.pool.close();
      await peer.stop();
    }
  });

  // A server whose RSA host key may sign only with the given algorithms; any login is accepted, the handshake is
  // what is under test.
  async function rsaServer(host: string, algorithms: ServerHostKeyAlgorithm[]) {
    const hostKey = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 });
    const server = new ssh2.Server({ hostKeys: [hostKey.private], algorithms: { serverHostKey: algorithms } }, (client) => {
      client.on('error', () => undefined);
      client.on('authentication', (ctx) => ctx.accept());
      client.on('ready', () => client.on('session', (accept) => accept().on('exec', (acceptExec) => {
        const channel = acceptExec();
        channel.exit(0);
        channel.end();
      })));
    });
    await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
    return { port: (server.address() as { port: number }).port, publicLine: hostKey.public, stop: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it('does not accept SHA-1 (ssh-rsa) host key signatures; the same RSA key signing with SHA-2 is fine', async () => {
    const sha1Only = await rsaServer(block.host(3), ['ssh-rsa']);
    const sha2 = await rsaServer(block.host(4), ['rsa-sha2-256']);
    const a = poolWith(`[${block.host(3)}]:${sha1Only.port} ${sha1Only.publicLine}\n`);
    const b = poolWith(`[${block.host(4)}]:${sha2.port} ${sha2.publicLine}\n`);
    try {
      await assert.rejects(a.pool.exec({ nodeName: 'old', host: block.host(3), port: sha1Only.port }, 'true'), (e: unknown) =>
        e instanceof SshError && /host key/i.test(e.message));
      assert.equal((await b.pool.exec({ nodeName: 'new', host: block.host(4), port: sha2.port }, 'true')).exitCode, 0);
    } finally {
      await a.pool.close();
      await b.pool.close();
      await sha1Only.stop();
      await sha2.stop();
    }
  });
});
