import { SshError } from './errors.ts';
import { keyTypeOfBlob, sha256Fingerprint } from './fingerprint.ts';
import { appendKnownHost, KnownHosts } from './known-hosts.ts';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import type { KnownHostKey, SshPrompter } from './types.ts';

export interface HostKeyPolicy {
  /** UserKnownHostsFile list; accepted keys are recorded in the first one */
  userKnownHostsFiles: readonly string[];
  globalKnownHostsFiles: readonly string[];
  hashKnownHosts: boolean;
  /** ssh_config StrictHostKeyChecking=yes: an unknown host is refused instead of asked about. */
  strictHostKeyChecking: boolean;
}

/** What one connection attempt hands to ssh2, plus why it refused if it did. */
export interface HostKeyCheckSession {
  /** ssh2 `hostVerifier`: answers through the callback, never by return value */
  verify(key: Buffer, answer: (accept: boolean) => void): void;
  /** ssh2 `algorithms.serverHostKey`: key types already known for this host first, as OpenSSH orders them */
  serverHostKeyAlgorithms: ServerHostKeyAlgorithm[];
  refusal(): SshError | undefined;
}

// No `ssh-rsa`: its signatures use SHA-1, which OpenSSH stopped accepting by default in 8.8. RSA host keys
// still work through rsa-sha2-512/256. Always passed to ssh2, whose own default list would include ssh-rsa.
const HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256',
];
const ALGORITHMS_FOR_KEY_TYPE: Record<string, readonly ServerHostKeyAlgorithm[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256'],
};

function preferKnownTypes(knownTypes: string[]): ServerHostKeyAlgorithm[] {
  const preferred = HOST_KEY_ALGORITHMS.filter((a) => knownTypes.some((t) => (ALGORITHMS_FOR_KEY_TYPE[t] ?? [t]).includes(a)));
  return [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
}

/**
 * OpenSSH's StrictHostKeyChecking=ask: known key → connect; unknown → the operator confirms the SHA256
 * fingerprint (warned when keys of other types are known for the host) and the key is recorded; changed or
 * revoked → refuse. `yes` refuses unknown hosts too; there is no "off" (`no` and `accept-new` still ask).
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
        if (policy.strictHostKeyChecking) {
          throw new SshError('host-key-unknown-rejected',
            `No host key is known for ${host}:${port} (it presented ${keyType} ${fingerprint}) and StrictHostKeyChecking is yes; ` +
            `refusing to connect. Add the key to ${policy.userKnownHostsFiles[0] ?? 'known_hosts'} first.`, facts);
        }
        if (!(await this.#askAndRecord(policy, prompter, host, port, key, keyType, fingerprint, check.otherKeys))) {
          throw new SshError('host-key-unknown-rejected',
            `The host key of ${host}:${port} (${keyType} ${fingerprint}) was not accepted.`, facts);
        }
    }
  }

  #askAndRecord(
    policy: HostKeyPolicy, prompter: SshPrompter, host: string, port: number, key: Buffer, keyType: string, fingerprint: string,
    otherKnownKeys: KnownHostKey[],
  ): Promise<boolean> {
    const id = `${host}:${port} ${fingerprint}`;
    let pending = this.#pendingPrompts.get(id);
    if (!pending) {
      pending = prompter.confirmHostKey({ host, port, keyType, fingerprint, otherKnownKeys })
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
