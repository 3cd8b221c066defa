// An encrypted identity file used for many nodes at once: the operator is asked for its passphrase once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { SshPool } from '../../app/ssh/pool.ts';
import { SshConfigFile } from '../../app/ssh/ssh-config.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { startTestPeer } from './ssh-test-peer.ts';

const block = loopbackBlock();
const home = mkdtempSync(join(tmpdir(), 'flatdeck-passphrase-'));
after(() => rmSync(home, { recursive: true, force: true }));

it('connections racing to several nodes with one encrypted key ask for its passphrase once', async () => {
  const keyPath = join(home, 'id_enc');
  // -a 2: few KDF rounds keep ssh2's pure-JS bcrypt quick; the key format is the same as with the default 16
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '2', '-N', 'sesame', '-f', keyPath]);
  const pub = readFileSync(`${keyPath}.pub`, 'utf8');
  const peers = await Promise.all([1, 2, 3, 4].map((n) => startTestPeer({ host: block.host(n), authorizedKeys: [pub] })));
  const knownHosts = join(home, 'known_hosts');
  writeFileSync(knownHosts, peers.map((p) => `[${p.host}]:${p.port} ${p.hostKeyPublic}\n`).join(''));
  const asked: string[] = [];
  const pool = new SshPool({
    home,
    agentSocket: null,
    knownHosts: { userKnownHostsFiles: [knownHosts], globalKnownHostsFiles: [] },
    sshConfig: SshConfigFile.parse(`Host *\n  IdentityFile ${keyPath}\n  IdentitiesOnly yes\n`),
    prompter: {
      confirmHostKey: async () => false,
      // An operator takes a moment to type: every connection reaches the key while the question is open.
      askPassphrase: async ({ keyPath: path }) => {
        asked.push(path);
        await new Promise((r) => setTimeout(r, 300));
        return 'sesame';
      },
    },
  });
  try {
    const results = await Promise.all(peers.map((p, i) => pool.exec({ nodeName: `node-${i}`, host: p.host, port: p.port }, 'true')));
    assert.deepEqual(results.map((r) => r.exitCode), [0, 0, 0, 0]);
    assert.deepEqual(asked, [keyPath]);
  } finally {
    await pool.close();
    await Promise.all(peers.map((p) => p.stop()));
  }
});
