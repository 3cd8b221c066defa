// The kubectl tests run: the Go-built kubectl 1.36 from test/cluster/build when present (within version skew of
// the real control plane and close to what operators use), else Debian's /usr/bin/kubectl.
import { clusterBinary, isExecutable } from './cluster-binaries.ts';

export const DEBIAN_KUBECTL = '/usr/bin/kubectl';

/** The Go-built kubectl, or null when test/cluster/build has not run. */
export function goBuiltKubectl(): string | null {
  const path = clusterBinary('kubectl');
  return isExecutable(path) ? path : null;
}

export function kubectlPath(): string {
  return goBuiltKubectl() ?? DEBIAN_KUBECTL;
}
