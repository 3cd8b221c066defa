// kubeconfig documents for the simulated cluster: HTTPS server, CA inline, one bearer token per user.
import { stringify } from 'yaml';

export function renderKubeconfig(opts: { server: string; caPem: string; user: string; token: string; clusterName?: string }): string {
  const cluster = opts.clusterName ?? 'flatdeck-sim';
  const context = `${opts.user}@${cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caPem).toString('base64') } }],
    users: [{ name: opts.user, user: { token: opts.token } }],
    contexts: [{ name: context, context: { cluster, user: opts.user } }],
    'current-context': context,
    preferences: {},
  });
}
