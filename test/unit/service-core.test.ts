import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ApiError, type ApiEvent } from '../../app/api/index.ts';
import { createService, type MethodModule } from '../../app/service/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { makePki, startHttps } from './cluster-tls-fixture.ts';

const root = mkdtempSync(join(tmpdir(), 'flatdeck-service-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

function kubeconfig(name: string, contexts: Array<{ name: string; cluster: string; user: string }>, extra: object = {}): string {
  const file = join(root, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      'current-context': contexts[0]?.name,
      clusters: [{ name: 'a', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: contexts.map((c) => ({ name: c.name, context: { cluster: c.cluster, user: c.user } })),
      ...extra,
    }),
  );
  return file;
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

describe('createService: calls', () => {
  it('validates every call: unknown method, bad params, unknown cluster', async () => {
    const service = createService({ kubeconfigPaths: [], dataDir: freshDir(), loginShellPath: false });
    try {
      assert.equal((await rejection(service.call('nodes.frobnicate' as 'nodes.list', { cluster: 'x' }))).kind, 'invalid-request');
      const bad = await rejection(service.call('nodes.list', { cluster: '' }));
      assert.equal(bad.kind, 'invalid-request');
      assert.match(bad.message, /cluster/);
      const missing = await rejection(service.call('nodes.list', { cluster: 'prod' }));
      assert.equal(missing.kind, 'not-found');
      assert.match(missing.message, /No cluster named "prod"/);
    } finally {
      await service.close();
    }
  });

  it('answers the auto-update and MachineDeployment methods (an unknown cluster is not-found)', async () => {
    const service = createService({ kubeconfigPaths: [], dataDir: freshDir(), loginShellPath: false });
    try {
      for (const method of ['autoUpdate.status', 'md.list'] as const) {
        const e = await rejection(service.call(method, { cluster: 'c' }));
        assert.equal(e.kind, 'not-found');
        assert.match(e.message, /No cluster named "c"/);
      }
      assert.deepEqual(await service.call('clusters.list', {}), []);
    } finally {
      await service.close();
    }
  });

  it('refuses an extra module that provides a method a built-in module already provides', () => {
    const twice: MethodModule = () => ({ 'clusters.list': async () => [] });
    assert.throws(() => createService({ kubeconfigPaths: [], dataDir: freshDir(), loginShellPath: false, modules: [twice] }), /clusters\.list is provided by two/);
  });

  it('refuses a result that breaks the API contract instead of passing it on', async () => {
    const service = createService({ kubeconfigPaths: [], dataDir: freshDir(), loginShellPath: false });
    try {
      service.context.activity.record('note', 'an entry with an empty cluster id', { cluster: '' });
      const e = await rejection(service.call('activity.list', { limit: 5 }));
      assert.equal(e.kind, 'internal');
      assert.match(e.message, /activity\.list produced a result outside the API contract/);
    } finally {
      await service.close();
    }
  });
});

describe('createService: clusters from kubeconfig and demo', () => {
  it('lists every context as its own cluster, the demo first, and reports kubeconfig problems', async () => {
    const first = kubeconfig('first', [
      { name: 'prod', cluster: 'a', user: 'u' },
      { name: 'broken', cluster: 'nowhere', user: 'u' },
    ]);
    const second = kubeconfig('second', [{ name: 'prod', cluster: 'a', user: 'u' }, { name: 'staging', cluster: 'a', user: 'u' }], {
      clusters: [{ name: 'a', cluster: { server: 'https://127.0.0.1:2' } }],
      users: [{ name: 'u', user: { token: 't' } }],
    });
    const demo = kubeconfig('demo', [{ name: 'flatdeck-sim', cluster: 'a', user: 'u' }]);
    const dataDir = freshDir();
    const service = createService({
      kubeconfigPaths: [first, second],
      dataDir,
      loginShellPath: false,
      demo: { kubeconfigPath: demo, sshConfigPath: join(root, 'ssh_config'), knownHostsPath: join(root, 'known_hosts') },
    });
    try {
      const clusters = await service.call('clusters.list', {});
      assert.deepEqual(clusters.map((c) => [c.id, c.source, c.state]), [
        ['demo', 'demo', 'disconnected'],
        ['prod', 'kubeconfig', 'disconnected'],
        ['broken', 'kubeconfig', 'error'],
        ['staging', 'kubeconfig', 'disconnected'],
      ]);
      assert.equal(clusters.find((c) => c.id === 'prod')?.server, 'https://127.0.0.1:1', 'first file wins');
      assert.equal(clusters.find((c) => c.id === 'broken')?.error?.kind, 'kubeconfig-invalid');
      assert.equal(service.context.clusters.currentContext, 'prod');
      const activity = await service.call('activity.list', { limit: 10 });
      assert.ok(activity.some((e) => e.kind === 'kubeconfig-warning' && e.message.includes('cluster "a" is already defined')));
      const e = await rejection(service.call('clusters.connect', { cluster: 'broken' }));
      assert.equal(e.kind, 'kubeconfig-invalid');
    } finally {
      await service.close();
    }
  });

  it('reports an unreachable cluster with a cluster event and a cluster-unreachable error', async () => {
    const file = kubeconfig('unreachable', [{ name: 'gone', cluster: 'a', user: 'u' }]);
    const service = createService({ kubeconfigPaths: [file], dataDir: freshDir(), loginShellPath: false, connectPatienceMs: 200 });
    const events: ApiEvent[] = [];
    service.subscribe((e) => events.push(e));
    try {
      const e = await rejection(service.call('clusters.connect', { cluster: 'gone' }));
      assert.equal(e.kind, 'cluster-unreachable');
      const states = events.flatMap((ev) => (ev.topic === 'cluster' ? [ev.payload.state] : []));
      assert.deepEqual(states.slice(0, 3), ['disconnected', 'connecting', 'offline'], 'catch-up, then the attempt');
    } finally {
      await service.close();
    }
  });
});

describe('createService: prompts, settings and activity', () => {
  it('pushes an SSH host-key question as a prompt event and resolves it with prompt.answer', async () => {
    const service = createService({ kubeconfigPaths: [], dataDir: freshDir(), loginShellPath: false });
    const prompts: ApiEvent[] = [];
    service.subscribe((e) => e.topic === 'prompt' && prompts.push(e));
    try {
      const answer = service.context.prompts.sshPrompter().confirmHostKey({ host: '10.0.0.5', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc', otherKnownKeys: [] });
      assert.equal(prompts.length, 1);
      const p = prompts[0]!;
      assert.ok(p.topic === 'prompt' && p.payload.kind === 'host-key-unknown');
      assert.deepEqual((await service.call('prompt.pending', {})).map((q) => q.id), [p.payload.id]);
      const wrong = await rejection(service.call('prompt.answer', { id: p.payload.id, answer: { kind: 'passphrase', passphrase: 'x' } }));
      assert.equal(wrong.kind, 'invalid-request');
      assert.deepEqual(await service.call('prompt.answer', { id: p.payload.id, answer: { kind: 'host-key-unknown', accept: true } }), { ok: true });
      assert.equal(await answer, true);
      assert.equal((await rejection(service.call('prompt.answer', { id: p.payload.id, answer: { kind: 'host-key-unknown', accept: true } }))).kind, 'not-found');
      const pass = service.context.prompts.sshPrompter().askPassphrase({ keyPath: '/home/op/.ssh/id_ed25519' });
      await service.close();
      assert.equal(await pass, null, 'closing declines open questions');
    } finally {
      await service.close();
    }
  });

  it('keeps a broken settings file aside, reports it, and persists valid changes', async () => {
    const dataDir = freshDir();
    const service0 = createService({ kubeconfigPaths: [], dataDir, loginShellPath: false });
    await service0.call('settings.set', { theme: 'dark' });
    await service0.close();
    writeFileSync(join(dataDir, 'settings.json'), '{"theme": "neon", "ssh": {"user": "core"}}');
    const service = createService({ kubeconfigPaths: [], dataDir, loginShellPath: false });
    try {
      assert.equal((await service.call('settings.get', {})).theme, 'system', 'defaults after a bad file');
      const kept = readdirSync(dataDir).filter((f) => f.startsWith('settings.json.invalid-'));
      assert.equal(kept.length, 1);
      assert.match(readFileSync(join(dataDir, kept[0]!), 'utf8'), /neon/);
      const activity = await service.call('activity.list', { limit: 10 });
      assert.ok(activity.some((e) => e.kind === 'settings-invalid' && /theme/.test(e.message) && e.message.includes(kept[0]!)));
      const bad = await rejection(service.call('settings.set', { ssh: { user: 'root; rm -rf /' } as never }));
      assert.equal(bad.kind, 'invalid-request');
      const next = await service.call('settings.set', { language: 'de', ssh: { user: 'core', addressType: 'ExternalIP', addressTemplate: null, nodeOverrides: {}, jumpHost: null, identityFile: null, useAgent: true } });
      assert.equal(next.language, 'de');
    } finally {
      await service.close();
    }
    const again = createService({ kubeconfigPaths: [], dataDir, loginShellPath: false });
    try {
      const s = await again.call('settings.get', {});
      assert.equal(s.language, 'de');
      assert.equal(s.ssh.addressType, 'ExternalIP');
      assert.deepEqual(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')), { language: 'de', ssh: { addressType: 'ExternalIP' } }, 'only what differs from the defaults is stored, so a changed default reaches this operator');
      await again.call('settings.set', { releaseFeeds: { 'prod-eu': 'https://mirror.example/flatcar/' }, lock: { namespace: 'ops', name: 'flatdeck-update-lock' } });
      assert.deepEqual(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')), { language: 'de', ssh: { addressType: 'ExternalIP' }, lock: { namespace: 'ops' }, releaseFeeds: { 'prod-eu': 'https://mirror.example/flatcar/' } });
    } finally {
      await again.close();
    }
  });

  it('loads an activity log whose last line was torn by a crash', async () => {
    const dataDir = freshDir();
    mkdirSync(dataDir, { recursive: true });
    const good = { at: '2026-11-26T10:00:00.000Z', cluster: 'c', node: 'w1', kind: 'step', message: 'cordoned' };
    writeFileSync(join(dataDir, 'activity.jsonl'), `${JSON.stringify(good)}\n{"at":"2026-11-26T10:00:01.000Z","clus`);
    const service = createService({ kubeconfigPaths: [], dataDir, loginShellPath: false });
    try {
      const list = await service.call('activity.list', { limit: 10 });
      // A line written before entries had `params` and `actor` loads with their defaults.
      assert.deepEqual(list.filter((e) => e.kind === 'step'), [{ ...good, params: {}, actor: null }]);
      service.context.activity.record('step', 'uncordoned', { cluster: 'c', node: 'w1' });
    } finally {
      await service.close();
    }
    const again = createService({ kubeconfigPaths: [], dataDir, loginShellPath: false });
    try {
      const steps = (await again.call('activity.list', { limit: 10 })).filter((e) => e.kind === 'step').map((e) => e.message);
      assert.deepEqual(steps, ['cordoned', 'uncordoned'], 'the entry after the torn line is not glued to it');
    } finally {
      await again.close();
    }
  });

  it('keeps the activity log across restarts and exports CSV safe for spreadsheets', async () => {
    const dataDir = freshDir();
    const service = createService({ kubeconfigPaths: [], dataDir, loginShellPath: false });
    service.context.activity.record('note', 'node "=cmd|x" looked odd', { cluster: 'c', node: '=HYPERLINK("x")' });
    await service.close();
    assert.ok(existsSync(join(dataDir, 'activity.jsonl')));
    const again = createService({ kubeconfigPaths: [], dataDir, loginShellPath: false });
    try {
      const list = await again.call('activity.list', { limit: 5 });
      assert.equal(list.at(-1)?.node, '=HYPERLINK("x")');
      const csv = await again.call('activity.export', { format: 'csv' });
      assert.match(csv.filename, /\.csv$/);
      assert.ok(csv.content.includes(`"'=HYPERLINK(""x"")"`), csv.content);
    } finally {
      await again.close();
    }
  });
});

describe('createService: known hosts', () => {
  function ed25519Blob(seed: number): Buffer {
    const string = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    return Buffer.concat([string(Buffer.from('ssh-ed25519')), string(Buffer.alloc(32, seed))]);
  }

  it('lists plain, bracketed and hashed entries with SHA256 fingerprints, and removes a host', async () => {
    const dataDir = freshDir();
    const file = join(root, `known_hosts_${n++}`);
    const k1 = ed25519Blob(1).toString('base64');
    const k2 = ed25519Blob(2).toString('base64');
    writeFileSync(
      file,
      [
        `10.0.0.1,worker-1 ssh-ed25519 ${k1}`,
        `[10.0.0.2]:2222 ssh-ed25519 ${k2}`,
        `|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g= ssh-ed25519 ${k1}`,
        `@revoked * ssh-ed25519 ${k2}`,
        '# comment',
        '',
      ].join('\n'),
    );
    const service = createService({ kubeconfigPaths: [], dataDir, loginShellPath: false, knownHostsPath: file });
    try {
      const list = await service.call('knownHosts.list', {});
      assert.deepEqual(
        list.map((e) => [e.host, e.port, e.hashed]),
        [
          ['10.0.0.1', 22, false],
          ['worker-1', 22, false],
          ['10.0.0.2', 2222, false],
          ['|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g=', 22, true],
        ],
      );
      assert.match(list[0]!.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.equal(list[0]!.fingerprint, list[1]!.fingerprint);
      assert.notEqual(list[0]!.fingerprint, list[2]!.fingerprint);
      assert.deepEqual(await service.call('knownHosts.remove', { host: '10.0.0.2', port: 2222 }), { removed: 1 });
      assert.equal((await service.call('knownHosts.list', {})).some((e) => e.port === 2222), false);
    } finally {
      await service.close();
    }
  });
});

describe('createService: several clusters at once', () => {
  it('keeps one connection per context, each with its own server and credentials', async () => {
    const pki = makePki();
    const seen: string[] = [];
    const serve = (cluster: string, token: string) =>
      startHttps(pki.server, (req, res) => {
        if (req.headers.authorization !== `Bearer ${token}`) {
          res.writeHead(401).end();
          return;
        }
        seen.push(`${cluster} ${req.url?.includes('watch=1') ? 'watch' : 'list'}`);
        if (req.url?.includes('watch=1')) {
          res.writeHead(200, { 'content-type': 'application/json' }); // an open watch with nothing to say
          return;
        }
        const node = { metadata: { name: `${cluster}-node`, resourceVersion: '5' }, status: { nodeInfo: { osImage: 'Flatcar Container Linux by Kinvolk 4757.2.0' } } };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'NodeList', items: [node], metadata: { resourceVersion: '5' } }));
      });
    const [east, west] = await Promise.all([serve('east', 'east-token'), serve('west', 'west-token')]);
    const file = join(root, `two-clusters-${n++}.yaml`);
    const ca = Buffer.from(pki.ca.cert).toString('base64');
    writeFileSync(
      file,
      JSON.stringify({
        clusters: [
          { name: 'east', cluster: { server: east.url, 'certificate-authority-data': ca } },
          { name: 'west', cluster: { server: west.url, 'certificate-authority-data': ca } },
        ],
        users: [{ name: 'admin', user: { token: 'east-token' } }, { name: 'admin-west', user: { token: 'west-token' } }],
        contexts: [
          { name: 'east', context: { cluster: 'east', user: 'admin' } },
          { name: 'west', context: { cluster: 'west', user: 'admin-west' } },
        ],
      }),
    );
    const service = createService({ kubeconfigPaths: [file], dataDir: freshDir(), loginShellPath: false });
    try {
      await Promise.all([service.call('clusters.connect', { cluster: 'east' }), service.call('clusters.connect', { cluster: 'west' })]);
      assert.deepEqual((await service.call('nodes.list', { cluster: 'east' })).map((x) => x.name), ['east-node']);
      assert.deepEqual((await service.call('nodes.list', { cluster: 'west' })).map((x) => x.name), ['west-node']);
      assert.deepEqual(
        (await service.call('clusters.list', {})).map((c) => [c.id, c.state, c.nodeCount]),
        [
          ['east', 'connected', 1],
          ['west', 'connected', 1],
        ],
      );
      await waitFor('both watches open', () => seen.includes('east watch') && seen.includes('west watch'));
    } finally {
      await service.close();
      await east.stop();
      await west.stop();
    }
  });
});
