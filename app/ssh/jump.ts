import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { connectEndpoint, type ConnectDeps, type Endpoint } from './connect.ts';
import { SshError } from './errors.ts';
import { endpointKey } from './plan.ts';

/** A `direct-tcpip` channel through a logged-in jump host to the next hop (OpenSSH's `ssh -W`). */
export function forwardThrough(jumpHost: Client, via: Endpoint, to: Endpoint): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jumpHost.forwardOut('127.0.0.1', 0, to.host, to.port, (err, channel) => {
      if (err) {
        reject(new SshError('unreachable', `Jump host ${endpointKey(via)} could not reach ${to.host}:${to.port}: ${err.message}`, {
          host: to.host, port: to.port, cause: err.message,
        }));
      } else {
        resolve(channel);
      }
    });
  });
}

interface SharedJumpHost {
  client: Client;
  users: number;
}

/**
 * Logged-in jump hosts shared by every node behind them. Each hop is verified and authenticated on its
 * own, then carries the next hop's connection inside a forwarded channel.
 */
export class JumpHosts {
  readonly #open = new Map<string, Promise<SharedJumpHost>>();
  readonly #deps: ConnectDeps;

  constructor(deps: ConnectDeps) {
    this.#deps = deps;
  }

  /** The socket to reach `target` through `chain`; the caller must `release(chain)` when done with it. */
  async socketTo(chain: readonly Endpoint[], target: Endpoint): Promise<Duplex> {
    const last = await this.#acquire(chain, chain.length - 1);
    try {
      return await forwardThrough(last.client, chain.at(-1)!, target);
    } catch (e) {
      this.release(chain);
      throw e;
    }
  }

  /** Called once per successful `socketTo`; closes jump hosts nobody uses any more. */
  release(chain: readonly Endpoint[]): void {
    for (let i = chain.length - 1; i >= 0; i--) {
      const key = chainKey(chain, i);
      void this.#open.get(key)?.then((shared) => {
        if (--shared.users === 0) {
          this.#open.delete(key);
          shared.client.end();
        }
      }, () => undefined);
    }
  }

  closeAll(): void {
    for (const pending of this.#open.values()) void pending.then((s) => s.client.end(), () => undefined);
    this.#open.clear();
  }

  /** Takes one use of every hop up to `index` (each hop holds the one before it open). */
  async #acquire(chain: readonly Endpoint[], index: number): Promise<SharedJumpHost> {
    const key = chainKey(chain, index);
    let pending = this.#open.get(key);
    if (!pending) {
      pending = this.#connect(chain, index);
      this.#open.set(key, pending);
      pending.catch(() => this.#open.delete(key));
    } else if (index > 0) {
      await this.#acquire(chain, index - 1);
    }
    const shared = await pending;
    shared.users++;
    return shared;
  }

  async #connect(chain: readonly Endpoint[], index: number): Promise<SharedJumpHost> {
    const ep = chain[index]!;
    let sock: Duplex | undefined;
    if (index > 0) {
      const previous = await this.#acquire(chain, index - 1);
      try {
        sock = await forwardThrough(previous.client, chain[index - 1]!, ep);
      } catch (e) {
        this.release(chain.slice(0, index));
        throw e;
      }
    }
    let client: Client;
    try {
      client = await connectEndpoint(ep, this.#deps, sock);
    } catch (e) {
      if (index > 0) this.release(chain.slice(0, index));
      throw e;
    }
    const key = chainKey(chain, index);
    const shared: SharedJumpHost = { client, users: 0 };
    client.on('close', () => {
      if (this.#open.get(key) !== undefined) this.#open.delete(key);
    });
    return shared;
  }
}

function chainKey(chain: readonly Endpoint[], index: number): string {
  return chain.slice(0, index + 1).map(endpointKey).join(' > ');
}
