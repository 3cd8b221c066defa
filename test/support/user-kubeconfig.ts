// Kubeconfigs for ordinary users of the real control plane: an openssl-made client certificate (CN = user,
// O = groups) signed by the cluster CA, which kube-apiserver's x509 authenticator accepts as that user.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export interface ClusterCa {
  certPath: string;
  keyPath: string;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

export function writeUserKubeconfig(opts: { adminKubeconfigPath: string; ca: ClusterCa; user: string; groups: readonly string[]; outPath: string }): string {
  const admin = new KubeConfig();
  admin.loadFromFile(opts.adminKubeconfigPath);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error(`${opts.adminKubeconfigPath} has no current cluster`);

  const work = mkdtempSync(join(tmpdir(), 'flatdeck-user-cert-'));
  try {
    const key = join(work, 'user.key');
    const csr = join(work, 'user.csr');
    const crt = join(work, 'user.crt');
    const subject = `/CN=${opts.user}${opts.groups.map((g) => `/O=${g}`).join('')}`;
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', opts.ca.certPath, '-CAkey', opts.ca.keyPath, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '1', '-out', crt], {
      stdio: 'pipe',
    });
    const caData = cluster.caData ?? (cluster.caFile ? b64(readFileSync(cluster.caFile)) : undefined);
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'cluster', cluster: { server: cluster.server, 'certificate-authority-data': caData } }],
      users: [{ name: opts.user, user: { 'client-certificate-data': b64(readFileSync(crt)), 'client-key-data': b64(readFileSync(key)) } }],
      contexts: [{ name: opts.user, context: { cluster: 'cluster', user: opts.user } }],
      'current-context': opts.user,
    };
    writeFileSync(opts.outPath, stringify(config), { mode: 0o600 });
    return opts.outPath;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
