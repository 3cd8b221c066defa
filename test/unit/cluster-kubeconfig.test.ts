import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFor, kubeconfigFiles, loadKubeconfigs } from '../../app/cluster/kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, yaml: string): string {
  const p = join(dir, name);
  writeFileSync(p, yaml);
  return p;
}

const prod = file(
  'prod.yaml',
  `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: shared
  cluster: { server: "https://prod.example:6443" }
- name: prod
  cluster: { server: "https://prod-only.example:6443" }
users:
- name: admin
  user: { token: prod-token }
contexts:
- name: prod
  context: { cluster: prod, user: admin }
- name: shared
  context: { cluster: shared, user: admin, namespace: kube-system }
`,
);

const staging = file(
  'staging.yaml',
  `apiVersion: v1
kind: Config
current-context: staging
clusters:
- name: shared
  cluster: { server: "https://staging.example:6443" }
- name: staging
  cluster: { server: "https://staging.example:6443", certificate-authority: ca.crt }
users:
- name: admin
  user: { token: staging-token }
- name: stager
  user: { token: s }
contexts:
- name: staging
  context: { cluster: staging, user: stager }
- name: cross
  context: { cluster: prod, user: stager }
`,
);

describe('kubeconfig file selection', () => {
  it('prefers --kubeconfig, then $KUBECONFIG (path list, empty entries dropped), then ~/.kube/config', () => {
    assert.deepEqual(kubeconfigFiles({ flag: ['/a'], env: { KUBECONFIG: '/b' } }), { files: ['/a'], origin: 'flag' });
    assert.deepEqual(kubeconfigFiles({ env: { KUBECONFIG: `/b${delimiter}${delimiter}/c${delimiter}/b` } }), { files: ['/b', '/c'], origin: 'env' });
    assert.deepEqual(kubeconfigFiles({ env: {}, home: '/home/op' }), { files: ['/home/op/.kube/config'], origin: 'default' });
  });
});

describe('merging several kubeconfig files like kubectl', () => {
  it('keeps the first definition of a conflicting name and says so, naming both files', () => {
    const loaded = loadKubeconfigs([prod, staging]);
    const shared = loaded.contexts.find((c) => c.name === 'shared');
    assert.equal(shared?.server, 'https://prod.example:6443');
    const clusterWarning = loaded.warnings.find((w) => w.message.includes('cluster "shared"'));
    assert.ok(clusterWarning, JSON.stringify(loaded.warnings));
    assert.equal(clusterWarning.file, staging);
    assert.match(clusterWarning.message, new RegExp(`already defined in ${prod.replaceAll('.', '\\.')}`));
    assert.ok(loaded.warnings.some((w) => w.message.includes('user "admin"') && w.file === staging));
  });

  it("takes the first file's current-context (client-node would take the last)", () => {
    assert.equal(loadKubeconfigs([prod, staging]).currentContext, 'prod');
    assert.equal(loadKubeconfigs([staging, prod]).currentContext, 'staging');
  });

  it('resolves a context against clusters and users from other files', () => {
    const cross = loadKubeconfigs([prod, staging]).contexts.find((c) => c.name === 'cross');
    assert.equal(cross?.server, 'https://prod-only.example:6443');
    assert.equal(cross?.user?.name, 'stager');
    assert.equal(cross?.error, null);
  });

  it('makes relative certificate paths absolute to the file that holds them', () => {
    const st = loadKubeconfigs([prod, staging]).contexts.find((c) => c.name === 'staging');
    assert.equal(st?.cluster?.caFile, join(dir, 'ca.crt'));
  });

  it('marks a context whose cluster is defined nowhere, and keeps the others usable', () => {
    const cross = loadKubeconfigs([staging]).contexts.find((c) => c.name === 'cross');
    assert.equal(cross?.error?.kind, 'kubeconfig-invalid');
    assert.match(cross?.error?.message ?? '', /cluster "prod"/);
    assert.equal(loadKubeconfigs([staging]).contexts.find((c) => c.name === 'staging')?.error, null);
  });

  it('reports an unreadable file and still loads the readable ones', () => {
    const broken = file('broken.yaml', 'clusters: [ {{{ not yaml');
    const loaded = loadKubeconfigs([broken, prod]);
    assert.ok(loaded.warnings.some((w) => w.file === broken && /not a readable kubeconfig/.test(w.message)));
    assert.equal(loaded.contexts.length, 2);
  });

  it('skips an invalid entry with a message instead of dropping the file', () => {
    const partial = file(
      'partial.yaml',
      `clusters:
- name: noserver
  cluster: {}
- name: ok
  cluster: { server: "https://ok.example" }
users: [ { name: u, user: { token: t } } ]
contexts: [ { name: ok, context: { cluster: ok, user: u } } ]
`,
    );
    const loaded = loadKubeconfigs([partial]);
    assert.deepEqual(loaded.contexts.map((c) => c.name), ['ok']);
    assert.ok(loaded.warnings.some((w) => /server is missing/.test(w.message)));
  });

  it('ignores missing $KUBECONFIG entries but reports a missing explicit file', () => {
    assert.deepEqual(loadKubeconfigs([join(dir, 'nope'), prod]).warnings.filter((w) => w.message.includes('not found')), []);
    assert.ok(loadKubeconfigs([join(dir, 'nope')], { required: true }).warnings.some((w) => /file not found/.test(w.message)));
  });

  it('is what client-node itself cannot do: its loadFromDefault throws on the same files', () => {
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = [prod, staging].join(delimiter);
    try {
      assert.throws(() => new KubeConfig().loadFromDefault(), /Duplicate cluster: shared/);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });
});

describe('one KubeConfig per context', () => {
  it('gives every context its own instance with that context current', () => {
    const loaded = loadKubeconfigs([prod, staging]);
    const configs = loaded.contexts.filter((c) => !c.error).map((c) => [c.name, kubeConfigFor(c)] as const);
    assert.deepEqual(configs.map(([n]) => n).sort(), ['cross', 'prod', 'shared', 'staging']);
    for (const [name, kc] of configs) {
      assert.equal(kc.getCurrentContext(), name);
      assert.equal(kc.getContexts().length, 1);
    }
    const byName = new Map(configs);
    assert.equal(byName.get('prod')?.getCurrentCluster()?.server, 'https://prod-only.example:6443');
    assert.equal(byName.get('staging')?.getCurrentUser()?.token, 's');
    assert.equal(byName.get('shared')?.getContextObject('shared')?.namespace, 'kube-system');
    assert.notEqual(byName.get('prod'), byName.get('cross'));
  });
});
