import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../app/api/errors.ts';
import { ClusterConnection } from '../../app/cluster/connection.ts';
import { loadKubeconfigs } from '../../app/cluster/kubeconfig.ts';
import { ensureLoginShellPath, loginShellPath, mergePaths } from '../../app/cluster/shell-env.ts';
import { kubeconfigYaml, listOneNode, makePki, startHttps, type FakeApiServer, type Pki } from './cluster-tls-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-shell-env-'));
const pluginDir = join(dir, 'opt', 'cloud-sdk', 'bin');
let pki: Pki;
let api: FakeApiServer;

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

/** A login shell whose rc files print noise and put the plugin's folder on PATH, like a real ~/.profile. */
const fakeShell = () =>
  script('fake-login-shell', `echo "Welcome to your shell"\nPATH="${pluginDir}${delimiter}/usr/bin${delimiter}/bin"\nexport PATH\neval "$2"\necho "bye"`);

before(async () => {
  pki = makePki();
  api = await startHttps(pki.server, (req, res) => {
    const ok = req.headers.authorization === 'Bearer from-plugin';
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { kind: 'NodeList', items: [], metadata: {} } : { kind: 'Status', code: 401 }));
  });
  mkdirSync(pluginDir, { recursive: true });
  writeFileSync(
    join(pluginDir, 'cloud-auth-plugin'),
    `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}'\n`,
  );
  chmodSync(join(pluginDir, 'cloud-auth-plugin'), 0o755);
});

after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('login-shell PATH for exec credential plugins', () => {
  it('reads PATH from the login shell, ignoring what rc files print', async () => {
    assert.equal(await loginShellPath({ shell: fakeShell() }), `${pluginDir}${delimiter}/usr/bin${delimiter}/bin`);
  });

  it('gives up on a shell that hangs, and on no shell', async () => {
    const started = Date.now();
    assert.equal(await loginShellPath({ shell: script('hanging-shell', 'sleep 30'), timeoutMs: 300 }), null);
    assert.ok(Date.now() - started < 5000);
    assert.equal(await loginShellPath({ env: {} }), null);
  });

  it('merges: login-shell entries first, nothing twice, nothing empty', () => {
    assert.equal(mergePaths(['/a', '/b', ''].join(delimiter), ['/usr/bin', '/a', '/c'].join(delimiter)), ['/a', '/b', '/usr/bin', '/c'].join(delimiter));
  });

  it('lets an exec plugin that only the login shell knows authenticate a connection', async () => {
    const file = join(dir, 'kubeconfig.json');
    writeFileSync(file, kubeconfigYaml({ server: api.url, caPem: pki.ca.cert, user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'cloud-auth-plugin', interactiveMode: 'Never' } } }));
    const conn = () => new ClusterConnection(loadKubeconfigs([file]).contexts[0]!, { id: 'cloud', source: 'kubeconfig' });
    const savedPath = process.env.PATH;
    process.env.PATH = '/usr/bin:/bin'; // what a desktop app started from a menu gets
    try {
      const before = await listOneNode(conn()).then(() => null, (e: unknown) => e);
      assert.ok(before instanceof ApiError && before.kind === 'credentials-expired' && before.facts.notFound === true, String(before));
      await ensureLoginShellPath({ shell: fakeShell() });
      assert.ok(process.env.PATH?.split(delimiter).includes(pluginDir));
      await listOneNode(conn());
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
