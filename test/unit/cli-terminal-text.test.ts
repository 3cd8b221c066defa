// What the CLI prints may quote node-controlled text; none of its control sequences reach the terminal.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { hostKeyQuestion } from '../../main/cli/prompts.ts';
import { controlStripping, stripControl } from '../../main/cli/terminal-text.ts';
import { runFlatdeck } from '../support/run-flatdeck.ts';

describe('terminal text', () => {
  it('drops escape sequences, C1 controls, carriage returns and bidi overrides; keeps text, tabs, newlines and non-ASCII', () => {
    assert.equal(stripControl('\u001b]0;owned\u0007worker-1\r\tÖl ✓\n\u009b2J\u202eevil'), ']0;ownedworker-1\tÖl ✓\n2Jevil');
  });

  it('the stream keeps a character split across chunks whole', async () => {
    const sink = new PassThrough();
    let out = '';
    sink.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const stream = controlStripping(sink);
    const bytes = Buffer.from('ä\u001b[31m✓', 'utf8');
    stream.write(bytes.subarray(0, 1));
    stream.write(bytes.subarray(1, 6));
    stream.end(bytes.subarray(6));
    await new Promise((r) => stream.on('finish', r));
    assert.equal(out, 'ä[31m✓');
  });

  it('the flatdeck process strips what it echoes back from its arguments', async () => {
    const run = await runFlatdeck(process.cwd(), ['\u001b]0;owned\u0007\u001b[2Jnodes']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command "\]0;owned\[2Jnodes"/);
    assert.ok(!run.stderr.includes('\u001b') && !run.stderr.includes('\u0007'), JSON.stringify(run.stderr));
  });
});

describe('the host key question', () => {
  const base = { id: 'q1', kind: 'host-key-unknown' as const, host: '10.0.0.5', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:new' };

  it('first contact: host, key type and fingerprint', () => {
    assert.equal(hostKeyQuestion({ ...base, otherKnownKeys: [] }), "The authenticity of host 10.0.0.5 can't be established.\nssh-ed25519 key fingerprint is SHA256:new.\nAccept and remember it (yes/no)? ");
  });

  it('a host known under another key type: warns with the known key’s type, fingerprint and where it is recorded', () => {
    const text = hostKeyQuestion({ ...base, port: 2222, otherKnownKeys: [{ keyType: 'ecdsa-sha2-nistp256', fingerprint: 'SHA256:old', file: '/home/o/.ssh/known_hosts', line: 7 }] });
    assert.match(text, /^The authenticity of host \[10\.0\.0\.5\]:2222 can't be established\.\nWARNING: keys of another type are already known for this host/);
    assert.match(text, /known: ecdsa-sha2-nistp256 key SHA256:old \(\/home\/o\/\.ssh\/known_hosts:7\)\nssh-ed25519 key fingerprint is SHA256:new\./);
  });
});
