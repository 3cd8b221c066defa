import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { loadKubeconfigs } from '../../app/cluster/kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-kubeconfig-insecure-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const kubeconfig = (clusters: string) => `apiVersion: v1
kind: Config
clusters:
${clusters}
users: [{ name: u, user: { token: t } }]
contexts: [{ name: lab, context: { cluster: lab, user: u } }, { name: prod, context: { cluster: prod, user: u } }]
current-context: prod
`;

it('warns about a cluster whose certificate is not checked (insecure-skip-tls-verify), naming file and cluster', () => {
  const file = join(dir, 'config');
  writeFileSync(file, kubeconfig(`  - { name: lab, cluster: { server: "https://10.0.0.9:6443", insecure-skip-tls-verify: true } }
  - { name: prod, cluster: { server: "https://10.0.0.1:6443", certificate-authority-data: "${Buffer.from('ca').toString('base64')}" } }`));
  const loaded = loadKubeconfigs([file]);
  assert.deepEqual(
    loaded.warnings.map((w) => w.message),
    [`${file}: cluster "lab" sets insecure-skip-tls-verify: the API server's certificate is not checked, so anyone on the network path can pose as the cluster and receive your credentials.`],
  );
});
