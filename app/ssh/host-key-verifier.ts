import { SshError } from './errors.ts';
import { keyTypeOfBlob, sha256Fingerprint } from './fingerprint.ts';
import { appendKnownHost, KnownHosts } from './known-hosts.ts';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import type { SshPrompter } from './types.ts';

export interface HostKeyPolicy {
  /** UserKnownHostsFile list; accepted keys are recorded in the first one */
  userKnownHostsFiles: readonly string[];
  globalKnownHostsFiles: readonly string[];
  hashKnownHosts: boolean;
}

/** What one connection attempt hands to ssh2, plus why it refused if it did. */
export interface HostKeyCheckSession {
  /** ssh2 `hostVerifier`: answers through the callback, never by return value */
  verify(key: Buffer, answer: (accept: boolean) => void): void;
  /** ssh2 `algorithms.serverHostKey`: key types already known for this host first, as OpenSSH orders them */
  serverHostKeyAlgorithms: ServerHostKeyAlgorithm[] | undefined;
  refusal(): SshError | undefined;
}

const HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];
const ALGORITHMS_FOR_KEY_TYPE: Record<string, readonly ServerHostKeyAlgorithm[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

function preferKnownTypes(knownTypes: string[]): ServerHostKeyAlgorithm[] | undefined {
  const preferred = HOST_KEY_ALGORITHMS.filter((a) => knownTypes.some((t) => (ALGORITHMS_FOR_KEY_TYPE[t] ?? [t]).includes(a)));
  return preferred.length === 0 ? undefined : [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
}

/**
 * OpenSSH's StrictHostKeyChecking=ask, always: known key → connect; unknown → the operator confirms the
 * SHA256 fingerprint and the key is recorded; changed or revoked → refuse. There is no "off".
 */
export class HostKeyVerifier {
  /** One question per host and key at a time, however many connections race to it. */
  readonly #pendingPrompts = new Map<string, Promise<boolean>>();

  /** Reads the known_hosts files afresh, so keys recorded by `ssh` meanwhile count. */
  async session(host: string, port: number, policy: HostKeyPolicy, prompter: SshPrompter): Promise<HostKeyCheckSession> {
    const files = [...policy.userKnownHostsFiles, ...policy.globalKnownHostsFiles];
    const known = await KnownHosts.load(files);
    let refusal: SshError | undefined;
    return {
      serverHostKeyAlgorithms: preferKnownTypes(known.knownKeyTypes(host, port)),
      refusal: () => refusal,
      verify: (key, answer) => {
        this.#decide(known, policy, prompter, host, port, key).then(
          () => answer(true),
          (e: unknown) => {
            refusal = e instanceof SshError ? e : new SshError('host-key-unknown-rejected', String(e), { host, port });
            answer(false);
          },
        );
      },
    };
  }

  async #decide(known: KnownHosts, policy: HostKeyPolicy, prompter: SshPrompter, host: string, port: number, key: Buffer): Promise<void> {
    const fingerprint = sha256Fingerprint(key);
    const keyType = keyTypeOfBlob(key) ?? 'unknown';
    const facts = { host, port, presentedFingerprint: fingerprint };
    const check = known.check(host, port, key);
    switch (check.status) {
      case 'known':
        return;
      case 'revoked':
        throw new SshError('host-key-revoked',
          `The ${keyType} host key of ${host}:${port} (${fingerprint}) is marked @revoked in ${check.file}:${check.line}; refusing to connect.`,
          { ...facts, knownHostsFile: check.file });
      case 'changed':
        throw new SshError('host-key-changed',
          `The host key of ${host}:${port} has CHANGED. Known (${check.file}:${check.line}): ${check.knownFingerprints.join(', ')}; ` +
          `presented now: ${fingerprint}. This may be a reinstalled node or someone intercepting the connection; ` +
          `refusing to connect. If the change is expected, remove the old key from ${check.file}.`,
          { ...facts, knownFingerprints: check.knownFingerprints, knownHostsFile: check.file });
      case 'cert-authority-only':
        throw new SshError('unsupported-config',
          `${host}:${port} is trusted only through an @cert-authority line (${check.file}:${check.line}); ` +
          'flatdeck does not support host certificates. Add the host key itself to known_hosts.',
          { ...facts, knownHostsFile: check.file });
      case 'unknown':
        if (!(await this.#askAndRecord(policy, prompter, host, port, key, keyType, fingerprint))) {
          throw new SshError('host-key-unknown-rejected',
            `The host key of ${host}:${port} (${keyType} ${fingerprint}) was not accepted.`, facts);
        }
    }
  }

  #askAndRecord(policy: HostKeyPolicy, prompter: SshPrompter, host: string, port: number, key: Buffer, keyType: string, fingerprint: string): Promise<boolean> {
    const id = `${host}:${port} ${fingerprint}`;
    let pending = this.#pendingPrompts.get(id);
    if (!pending) {
      pending = prompter.confirmHostKey({ host, port, keyType, fingerprint })
        .then(async (accepted) => {
          if (accepted) await appendKnownHost(recordFile(policy), host, port, key, { hashed: policy.hashKnownHosts });
          return accepted;
        })
        .finally(() => this.#pendingPrompts.delete(id));
      this.#pendingPrompts.set(id, pending);
    }
    return pending;
  }

}

function recordFile(policy: HostKeyPolicy): string {
  const file = policy.userKnownHostsFiles[0];
  if (!file) throw new SshError('unsupported-config', 'No UserKnownHostsFile to record an accepted host key in.');
  return file;
}
