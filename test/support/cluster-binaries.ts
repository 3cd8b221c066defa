// Where test/cluster/build puts the real control-plane binaries (read from test/cluster/versions.sh, the one
// place the versions and the cache location are defined).
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export const CLUSTER_SCRIPTS_DIR = new URL('../cluster/', import.meta.url).pathname;
export const CLUSTER_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'etcd', 'kwok', 'kwokctl'] as const;
export type ClusterBinary = (typeof CLUSTER_BINARIES)[number];

let binDir: string | undefined;

export function clusterBinDir(): string {
  binDir ??= execFileSync('bash', ['-c', 'source "$1"; printf %s "$CLUSTER_BIN_DIR"', 'versions', join(CLUSTER_SCRIPTS_DIR, 'versions.sh')], {
    encoding: 'utf8',
  });
  return binDir;
}

export function clusterBinary(name: ClusterBinary): string {
  return join(clusterBinDir(), name);
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function missingClusterBinaries(): ClusterBinary[] {
  return CLUSTER_BINARIES.filter((b) => !isExecutable(clusterBinary(b)));
}
