import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware, type IdentityCallback, type NextAuthHandler, type ParsedKey } from 'ssh2';
import type { SshPrompter } from './types.ts';

/** OpenSSH's default identity files, tried in this order when ~/.ssh/config names none. */
export function defaultIdentityFiles(home: string): string[] {
  return ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((f) => join(home, '.ssh', f));
}

/**
 * Keys the operator unlocked with a passphrase, kept decrypted in memory for the pool's lifetime (so the
 * slow bcrypt KDF runs once per key); neither the passphrase nor the key is ever written anywhere.
 */
export class UnlockedKeys {
  readonly #byKeyPath = new Map<string, ParsedKey>();
  readonly #unlocking = new Map<string, Promise<ParsedKey | null>>();
  get(keyPath: string): ParsedKey | undefined {
    return this.#byKeyPath.get(keyPath);
  }
  /**
   * Runs `unlock` (which asks for the passphrase) once per key at a time: connections racing to the same
   * encrypted key, e.g. to every node at once, share one question and its answer.
   */
  unlockOnce(keyPath: string, unlock: () => Promise<ParsedKey | null>): Promise<ParsedKey | null> {
    const known = this.#byKeyPath.get(keyPath);
    if (known) return Promise.resolve(known);
    let pending = this.#unlocking.get(keyPath);
    if (!pending) {
      pending = unlock()
        .then((key) => {
          if (key) this.#byKeyPath.set(keyPath, key);
          return key;
        })
        .finally(() => this.#unlocking.delete(keyPath));
      this.#unlocking.set(keyPath, pending);
    }
    return pending;
  }
  clear(): void {
    this.#byKeyPath.clear();
  }
}

export interface AuthPlan {
  username: string;
  agentSocket?: string;          // ssh-agent socket; absent = no agent
  identityFiles: readonly string[];
  /** IdentitiesOnly: the agent may only offer the identity files' keys (known by their `.pub` files) */
  identitiesOnly: boolean;
}

/** An ssh-agent whose offered keys are limited to a set of public keys, as OpenSSH does under IdentitiesOnly. */
class RestrictedAgent extends ssh2.OpenSSHAgent {
  readonly #allowed: readonly Buffer[];
  constructor(socket: string, allowed: readonly Buffer[]) {
    super(socket);
    this.#allowed = allowed;
  }
  override getIdentities(cb: IdentityCallback<ParsedKey>): void {
    super.getIdentities((err, keys) => {
      if (err || !keys) cb(err, keys);
      else cb(undefined, keys.filter((k) => 'getPublicSSH' in k && this.#allowed.some((a) => a.equals(k.getPublicSSH()))));
    });
  }
}

async function identityPublicKeys(files: readonly string[]): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  for (const file of files) {
    const text = await readFile(`${file}.pub`, 'utf8').catch(() => undefined);
    const parsed = text === undefined ? undefined : utils.parseKey(text);
    if (parsed && !(parsed instanceof Error)) keys.push(firstKey(parsed)!.getPublicSSH());
  }
  return keys;
}

/** What happened during one authentication, for a useful error when every method failed. */
export interface AuthOutcome {
  tried: string[];
  passphraseDeclined: string[];
}

const { utils } = ssh2; // ssh2 is CommonJS: no named value exports under ESM
const MAX_PASSPHRASE_TRIES = 3;
const ENCRYPTED = /no passphrase given|bad passphrase/;

// ssh2 ends authentication when handed `false`; its type definitions leave that out.
const NO_MORE_METHODS = false as unknown as AnyAuthMethod;

/**
 * An ssh2 `authHandler` that behaves like OpenSSH: the agent's keys first, then each identity file. An
 * encrypted key's passphrase is asked through the prompter (at most three times) and kept in memory.
 */
export function createAuthHandler(plan: AuthPlan, prompter: SshPrompter, unlocked: UnlockedKeys) {
  const outcome: AuthOutcome = { tried: [], passphraseDeclined: [] };
  const attempts: Array<{ label: string; make: () => Promise<AnyAuthMethod | undefined> }> = [];
  if (plan.agentSocket) {
    const agent = plan.agentSocket;
    attempts.push({
      label: 'ssh-agent',
      make: async () => ({
        type: 'agent',
        username: plan.username,
        agent: plan.identitiesOnly ? new RestrictedAgent(agent, await identityPublicKeys(plan.identityFiles)) : agent,
      }),
    });
  }
  for (const path of plan.identityFiles) {
    attempts.push({
      label: `key ${path}`,
      make: async () => {
        const key = await loadPrivateKey(path, prompter, unlocked, outcome);
        return key && { type: 'publickey', username: plan.username, key };
      },
    });
  }
  let next = 0;
  const handler: AuthHandlerMiddleware = (_methodsLeft, _partial, callback: NextAuthHandler) => {
    const step = async (): Promise<AnyAuthMethod> => {
      while (next < attempts.length) {
        const attempt = attempts[next++]!;
        const auth = await attempt.make();
        if (auth) {
          outcome.tried.push(attempt.label);
          return auth;
        }
      }
      return NO_MORE_METHODS;
    };
    step().then(callback, () => callback(NO_MORE_METHODS));
  };
  return { handler, outcome };
}

async function loadPrivateKey(path: string, prompter: SshPrompter, unlocked: UnlockedKeys, outcome: AuthOutcome): Promise<ParsedKey | undefined> {
  const cached = unlocked.get(path);
  if (cached) return cached;
  const data = await readFile(path).catch(() => undefined);
  if (!data) return undefined;
  const plain = utils.parseKey(data);
  if (!(plain instanceof Error)) return firstKey(plain);
  if (!ENCRYPTED.test(plain.message)) return undefined;
  const key = await unlocked.unlockOnce(path, () => askForPassphrase(path, data, prompter));
  if (!key) outcome.passphraseDeclined.push(path);
  return key ?? undefined;
}

/** Up to three tries; null when the operator declined or never typed the right one. */
async function askForPassphrase(path: string, data: Buffer, prompter: SshPrompter): Promise<ParsedKey | null> {
  for (let i = 0; i < MAX_PASSPHRASE_TRIES; i++) {
    const passphrase = await prompter.askPassphrase({ keyPath: path });
    if (passphrase === null) return null;
    const key = utils.parseKey(data, passphrase);
    const first = key instanceof Error ? undefined : firstKey(key);
    if (first) return first;
  }
  return null;
}

function firstKey(parsed: ParsedKey | ParsedKey[]): ParsedKey | undefined {
  return Array.isArray(parsed) ? parsed[0] : parsed;
}
