import { connect as tcpConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type Client } from 'ssh2';
import { createAuthHandler, type UnlockedKeys } from './auth.ts';
import { SshError, type SshErrorFacts } from './errors.ts';
import type { HostKeyPolicy, HostKeyVerifier } from './host-key-verifier.ts';
import type { SshPrompter } from './types.ts';

/** One SSH server to log in to (a node or a jump host), fully resolved. */
export interface Endpoint {
  host: string;
  port: number;
  user: string;
  identityFiles: readonly string[];
  agentSocket?: string;
  identitiesOnly: boolean;
  knownHosts: HostKeyPolicy;
}

export interface ConnectDeps {
  verifier: HostKeyVerifier;
  prompter: SshPrompter;
  unlockedKeys: UnlockedKeys;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

/**
 * A handshake deadline that stops while the operator is being asked something: confirming a fingerprint
 * or typing a passphrase may take longer than a network timeout should.
 */
class HandshakeDeadline {
  #timer: NodeJS.Timeout | undefined;
  #prompts = 0;
  readonly #ms: number;
  readonly #expire: () => void;
  constructor(ms: number, expire: () => void) {
    this.#ms = ms;
    this.#expire = expire;
    this.#arm();
  }
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#expire, this.#ms);
  }
  around<T>(prompt: Promise<T>): Promise<T> {
    if (this.#prompts++ === 0) clearTimeout(this.#timer);
    return prompt.finally(() => {
      if (--this.#prompts === 0 && this.#timer !== undefined) this.#arm();
    });
  }
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Logs in to one endpoint, directly or over `sock` (a channel forwarded by a jump host). Never without
 * host key verification: ssh2 would accept any key if `hostVerifier` were missing.
 */
export async function connectEndpoint(ep: Endpoint, deps: ConnectDeps, sock?: Duplex): Promise<Client> {
  const facts: SshErrorFacts = { host: ep.host, port: ep.port, user: ep.user };
  const client = new ssh2.Client();
  let deadline: HandshakeDeadline | undefined;
  const prompter: SshPrompter = {
    confirmHostKey: (q) => deadline!.around(deps.prompter.confirmHostKey(q)),
    askPassphrase: (q) => deadline!.around(deps.prompter.askPassphrase(q)),
  };
  const hostKeys = await deps.verifier.session(ep.host, ep.port, ep.knownHosts, prompter);
  const auth = createAuthHandler(
    { username: ep.user, identityFiles: ep.identityFiles, identitiesOnly: ep.identitiesOnly, ...(ep.agentSocket ? { agentSocket: ep.agentSocket } : {}) },
    prompter,
    deps.unlockedKeys,
  );
  // Dialled only now, right before ssh2 takes it over and listens for its errors.
  // No Nagle: many small request/response round trips would each wait for a delayed ACK otherwise.
  const transport: Duplex | Socket = sock ?? tcpConnect({ host: ep.host, port: ep.port, noDelay: true });
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (error: SshError) => {
      if (settled) return;
      settled = true;
      deadline?.clear();
      client.end();
      transport.destroy();
      reject(error);
    };
    deadline = new HandshakeDeadline(deps.connectTimeoutMs, () =>
      fail(new SshError('unreachable', `${ep.host}:${ep.port} did not complete the SSH handshake within ${deps.connectTimeoutMs / 1000} s`, facts)));
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      deadline?.clear();
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (err.level === 'agent') return; // ssh2 goes on with the next method
      fail(explainConnectError(err, hostKeys.refusal(), auth.outcome, facts));
    });
    client.on('close', () => fail(new SshError('unreachable', `${ep.host}:${ep.port} closed the connection during the handshake`, facts)));
    client.connect({
      sock: transport,
      username: ep.user,
      hostVerifier: hostKeys.verify,
      authHandler: auth.handler,
      readyTimeout: 0,
      keepaliveInterval: deps.keepaliveIntervalMs,
      keepaliveCountMax: deps.keepaliveCountMax,
      algorithms: { serverHostKey: hostKeys.serverHostKeyAlgorithms },
    });
  });
}

function explainConnectError(
  err: Error & { level?: string; code?: string },
  hostKeyRefusal: SshError | undefined,
  auth: { tried: string[]; passphraseDeclined: string[] },
  facts: SshErrorFacts,
): SshError {
  if (hostKeyRefusal) return hostKeyRefusal.withFacts(facts);
  const where = `${facts.user}@${facts.host}:${facts.port}`;
  if (err.level === 'client-authentication') {
    if (auth.passphraseDeclined.length > 0) {
      return new SshError('passphrase-needed',
        `${where}: no accepted key; the passphrase for ${auth.passphraseDeclined.join(', ')} was not given`, facts);
    }
    const tried = auth.tried.length > 0 ? auth.tried.join(', ') : 'nothing (no agent, no identity file found)';
    return new SshError('auth-rejected', `${where} rejected every key; tried ${tried}`, { ...facts, cause: err.message });
  }
  const reason = err.code === 'ECONNREFUSED' ? 'connection refused'
    : err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' ? 'no route to host'
    : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'host name not found'
    : err.message;
  return new SshError('unreachable', `Cannot reach ${where}: ${reason}`, { ...facts, cause: err.message });
}
