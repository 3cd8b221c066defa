// Faults the API server can be told to show: a burst of 5xx answers, a period of refused connections, and PDBs
// that never allow a disruption.
import { ApiError } from './errors.ts';

export interface ApiFaultControl {
  /** The next `count` requests are answered with a 5xx Status (503 ServiceUnavailable unless `code` says 500). */
  serverErrors(count: number, code?: 500 | 503): void;
  /** Stop listening and drop every open connection for `ms` milliseconds: new connections are refused meanwhile. */
  unavailable(ms: number): Promise<void>;
  /** Make the PodDisruptionBudget allow no disruption, whatever its pods' health, until `allowPdb` / `clear`. */
  pdbNeverAllows(namespace: string, name: string): void;
  allowPdb(namespace: string, name: string): void;
  /** Remove every active fault (connections come back at once). */
  clear(): void;
  readonly active: { serverErrorsLeft: number; unavailableUntil: number | undefined; blockedPdbs: string[] };
}

// Clients that belong to the cluster itself, by the user agent client-go gives them ("<binary>/<version> …"):
// a burst of errors stands for trouble that flatdeck has to ride out, so these requests never use it up.
const CLUSTER_COMPONENTS = ['kubelet/', 'update-agent/', 'update-operator/'];

export function isClusterComponent(userAgent: string | undefined): boolean {
  return userAgent !== undefined && CLUSTER_COMPONENTS.some((prefix) => userAgent.startsWith(prefix));
}

export class ApiFaults {
  /** called when a fault that controllers observe (a blocked PDB) changes */
  onChange: () => void = () => {};
  private errorsLeft = 0;
  private errorCode: 500 | 503 = 503;
  private readonly blocked = new Set<string>();
  unavailableUntil: number | undefined;

  /** The injected 5xx for this request, if a burst is running and the client is not a cluster component. */
  nextFailure(userAgent?: string): ApiError | undefined {
    if (this.errorsLeft <= 0 || isClusterComponent(userAgent)) return undefined;
    this.errorsLeft -= 1;
    return this.errorCode === 500
      ? new ApiError(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out', { causes: [{ message: 'etcdserver: request timed out' }] })
      : new ApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
  }

  setServerErrors(count: number, code: 500 | 503): void {
    this.errorsLeft = Math.max(0, Math.floor(count));
    this.errorCode = code;
  }

  isBlocked = (namespace: string, name: string): boolean => this.blocked.has(`${namespace}/${name}`);
  block(namespace: string, name: string): void {
    this.blocked.add(`${namespace}/${name}`);
    this.onChange();
  }

  unblock(namespace: string, name: string): void {
    this.blocked.delete(`${namespace}/${name}`);
    this.onChange();
  }

  reset(): void {
    this.errorsLeft = 0;
    this.blocked.clear();
    this.onChange();
  }

  snapshot(): ApiFaultControl['active'] {
    return { serverErrorsLeft: this.errorsLeft, unavailableUntil: this.unavailableUntil, blockedPdbs: [...this.blocked].sort() };
  }
}
