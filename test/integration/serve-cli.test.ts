import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { root } from '../../scripts/build-main.mjs';

// `flatdeck serve` (npm run serve) as a process: argument errors, the one output line, a working API, clean shutdown.

const bin = join(root, 'bin', 'flatdeck.js');

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: { server: 'https://127.0.0.1:9' }
users:
- name: admin
  user: { token: not-a-real-token }
contexts:
- name: lab
  context: { cluster: lab, user: admin }
current-context: lab
`;

describe('flatdeck serve (process)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flatdeck-serve-cli-'));
    writeFileSync(join(dir, 'kubeconfig'), kubeconfig);
    env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir, XDG_CONFIG_HOME: join(dir, 'config') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 with a clear message on bad arguments', () => {
    for (const [args, message] of [
      [['--port', 'eighty'], /--port must be a whole number from 0 to 65535/],
      [['--demo=yes'], /--demo/],
      [['--listen', '0.0.0.0'], /Unknown option '--listen'/],
    ] as const) {
      const r = spawnSync(process.execPath, [bin, 'serve', ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /Run "flatdeck serve --help" for usage/);
      assert.equal(r.stdout, '');
    }
  });

  it('prints exactly one line with the tokened URL, serves the API, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--data-dir', join(dir, 'data')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!stdout.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const match = /^flatdeck listening on (http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]{64}))\n$/.exec(stdout);
      assert.ok(match, `unexpected stdout: ${JSON.stringify(stdout)} (stderr: ${stderr})`);
      const [, , port, token] = match;

      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['flatdeck.v1', `flatdeck.token.${token}`]);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const answer = new Promise<{ id: number; result: Array<{ id: string; source: string }> }>((resolve) =>
        socket.on('message', (data) => {
          const msg = JSON.parse(data.toString()) as { type: string };
          if (msg.type === 'response') resolve(msg as never);
        }),
      );
      socket.send(JSON.stringify({ type: 'request', id: 1, method: 'clusters.list', params: {} }));
      const clusters = (await answer).result;
      assert.deepEqual(clusters.map((c) => [c.id, c.source]), [['lab', 'kubeconfig']], 'a kubeconfig exists, so no demo cluster');
      socket.close();

      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.equal(stdout.split('\n').filter(Boolean).length, 1, 'nothing else on stdout');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
