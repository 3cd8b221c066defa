import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { appendKnownHost, KnownHosts, removeKnownHost } from '../../app/ssh/known-hosts.ts';
import { sha256Fingerprint } from '../../app/ssh/fingerprint.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-known-hosts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Host keys made by OpenSSH's own ssh-keygen, as `type base64` and the raw blob. */
function keygen(type: 'ed25519' | 'ecdsa' | 'rsa') {
  const path = join(dir, `k-${type}-${Math.random()}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path, ...(type === 'rsa' ? ['-b', '2048'] : [])]);
  const [keyType, base64] = readFileSync(`${path}.pub`, 'utf8').split(' ');
  return { line: `${keyType} ${base64}`, keyType: keyType!, blob: Buffer.from(base64!, 'base64'), pubPath: `${path}.pub` };
}

const ed = keygen('ed25519');
const ecdsa = keygen('ecdsa');
const other = keygen('ed25519');

describe('known_hosts', () => {
  it('matches plain names, [host]:port, patterns and negation', () => {
    const kh = KnownHosts.fromText([
      `# comment`,
      `10.0.0.5 ${ed.line}`,
      `[10.0.0.6]:2222 ${ed.line}`,
      `*.nodes.example.org,!bad.nodes.example.org ${ed.line}`,
      `node-?.lab ${ed.line}`,
    ].join('\n'));
    assert.equal(kh.check('10.0.0.5', 22, ed.blob).status, 'known');
    assert.equal(kh.check('10.0.0.5', 2222, ed.blob).status, 'unknown'); // port 2222 is a different known_hosts name
    assert.equal(kh.check('10.0.0.6', 2222, ed.blob).status, 'known');
    assert.equal(kh.check('W1.Nodes.Example.org', 22, ed.blob).status, 'known');
    assert.equal(kh.check('bad.nodes.example.org', 22, ed.blob).status, 'unknown');
    assert.equal(kh.check('node-7.lab', 22, ed.blob).status, 'known');
    assert.equal(kh.check('node-17.lab', 22, ed.blob).status, 'unknown');
  });

  it('matches hashed entries written by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `[10.1.2.3]:2200 ${ed.line}\nworker-1.example ${ecdsa.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('10.1.2.3') && text.startsWith('|1|'));
    const kh = KnownHosts.fromText(text);
    assert.equal(kh.check('10.1.2.3', 2200, ed.blob).status, 'known');
    assert.equal(kh.check('worker-1.example', 22, ecdsa.blob).status, 'known');
    assert.equal(kh.check('worker-2.example', 22, ecdsa.blob).status, 'unknown');
  });

  it('tells a changed key (same type) from a new key type, and lists known types for the handshake', () => {
    const kh = KnownHosts.fromText(`h1 ${ed.line}\n`);
    const changed = kh.check('h1', 22, other.blob);
    assert.equal(changed.status, 'changed');
    assert.deepEqual(changed.status === 'changed' && changed.knownFingerprints, [sha256Fingerprint(ed.blob)]);
    assert.deepEqual(kh.check('h1', 22, ecdsa.blob), {
      status: 'unknown',
      otherKeys: [{ keyType: 'ssh-ed25519', fingerprint: sha256Fingerprint(ed.blob), file: '(text)', line: 1 }],
    });
    assert.deepEqual(KnownHosts.fromText(`h1 ${ed.line}\nh1 ${ecdsa.line}\n`).knownKeyTypes('h1', 22), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
  });

  it('refuses @revoked keys and reports @cert-authority-only hosts', () => {
    const kh = KnownHosts.fromText(`@revoked * ${other.line}\nh1 ${other.line}\n@cert-authority *.ca.example ${ecdsa.line}\n`);
    assert.equal(kh.check('h1', 22, other.blob).status, 'revoked');
    assert.equal(kh.check('x.ca.example', 22, ed.blob).status, 'cert-authority-only');
  });

  it('ignores malformed lines', () => {
    const kh = KnownHosts.fromText(`garbage\nh1 ssh-ed25519 !!!\nh1 ssh-rsa ${ed.line.split(' ')[1]}\n@weird h1 ${ed.line}\n`);
    assert.equal(kh.check('h1', 22, ed.blob).status, 'unknown');
  });

  it('fingerprints match ssh-keygen -l', () => {
    for (const k of [ed, ecdsa, keygen('rsa')]) {
      const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.pubPath], { encoding: 'utf8' }).split(' ')[1];
      assert.equal(sha256Fingerprint(k.blob), expected);
    }
  });

  it('appends plain and hashed entries that OpenSSH finds, and removes them like ssh-keygen -R', async () => {
    const file = join(dir, 'sub', 'known_hosts');
    await appendKnownHost(file, '10.9.9.9', 2022, ed.blob, { hashed: false });
    await appendKnownHost(file, 'Worker-3.Example', 22, ecdsa.blob, { hashed: true });
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^\[10\.9\.9\.9\]:2022 ssh-ed25519 /);
    assert.ok(!text.includes('worker-3'));
    for (const name of ['[10.9.9.9]:2022', 'worker-3.example']) {
      assert.match(execFileSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' }), /found: line/);
    }
    assert.equal(await removeKnownHost(file, 'worker-3.example', 22), 1);
    assert.equal(KnownHosts.fromText(readFileSync(file, 'utf8')).check('worker-3.example', 22, ecdsa.blob).status, 'unknown');
    assert.equal(KnownHosts.fromText(readFileSync(file, 'utf8')).check('10.9.9.9', 2022, ed.blob).status, 'known');
  });

  it('loads several files, skipping missing ones', async () => {
    const f = join(dir, 'one');
    writeFileSync(f, `h9 ${ed.line}`);
    const kh = await KnownHosts.load([join(dir, 'missing'), f]);
    assert.equal(kh.check('h9', 22, ed.blob).status, 'known');
  });
});

describe('known_hosts fuzz', () => {
  it('any file content parses without throwing and never matches a key it does not contain', () => {
    const token = fc.oneof(fc.constantFrom('@revoked', '@cert-authority', '*', '!h1', 'h1', '[h1]:22', '|1|abc|def', 'ssh-ed25519',
      ed.line.split(' ')[1]!, ecdsa.line, '#', ','), fc.string());
    const text = fc.array(fc.array(token, { maxLength: 5 }).map((t) => t.join(' ')), { maxLength: 10 }).map((l) => l.join('\n'));
    fc.assert(fc.property(text, (content) => {
      const kh = KnownHosts.fromText(content);
      const check = kh.check('h1', 22, other.blob);
      assert.notEqual(check.status, 'known'); // `other` never appears in the generated text
    }), { numRuns: 2000 });
  });
});
