export type SshErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'auth-rejected'
  | 'host-key-unknown-rejected'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'disconnected'
  | 'passphrase-needed'
  | 'unsupported-config'; // e.g. ProxyCommand or @cert-authority, which flatdeck will not honour

export interface SshErrorFacts {
  node?: string;
  host?: string;
  port?: number;
  user?: string;
  command?: string;
  knownFingerprints?: string[];
  presentedFingerprint?: string;
  knownHostsFile?: string;
  stderrTail?: string;
  cause?: string;
}

export class SshError extends Error {
  readonly kind: SshErrorKind;
  readonly facts: SshErrorFacts;
  constructor(kind: SshErrorKind, message: string, facts: SshErrorFacts = {}) {
    super(message);
    this.name = 'SshError';
    this.kind = kind;
    this.facts = facts;
  }

  withFacts(more: SshErrorFacts): SshError {
    return new SshError(this.kind, this.message, { ...more, ...this.facts });
  }
}
