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
  users: number;                  // node connections and later hops riding on it
  previous: SharedJumpHost | undefined;
  closed: boolean;
}

/** A socket to a node through its jump hosts; `release` when the node connection is gone. */
export interface JumpLease {
  socket: Duplex;
  release(): void;
}

/**
 * Logged-in jump hosts shared by every node behind them. Each hop is verified and authenticated on its
 * own, then carries the next hop's connection inside a forwarded channel. A hop stays open while anything
 * rides on it.
 */
export class JumpHosts {
  readonly #open = new Map<string, Promise<SharedJumpHost>>();
  readonly #deps: ConnectDeps;

  constructor(deps: ConnectDeps) {
    this.#deps = deps;
  }

  async socketTo(chain: readonly Endpoint[], target: Endpoint): Promise<JumpLease> {
    const last = await this.#use(chain, chain.length - 1);
    try {
      const socket = await forwardThrough(last.client, chain.at(-1)!, target);
      let released = false;
      return {
        socket,
        release: () => {
          if (!released) this.#unuse(last);
          released = true;
        },
      };
    } catch (e) {
      this.#unuse(last);
      throw e;
    }
  }

  closeAll(): void {
    for (const pending of this.#open.values()) void pending.then((s) => s.client.end(), () => undefined);
    this.#open.clear();
  }

  async #use(chain: readonly Endpoint[], index: number): Promise<SharedJumpHost> {
    const key = chain.slice(0, index + 1).map(endpointKey).join(' > ');
    for (;;) {
      let pending = this.#open.get(key);
      if (!pending) {
        const dialling = this.#connect(chain, index);
        pending = dialling;
        this.#open.set(key, dialling);
        dialling.catch(() => {
          if (this.#open.get(key) === dialling) this.#open.delete(key);
        });
      }
      const shared = await pending;
      if (!shared.closed) {
        shared.users++;
        return shared;
      }
      if (this.#open.get(key) === pending) this.#open.delete(key); // it died meanwhile: dial a new one
    }
  }

  #unuse(shared: SharedJumpHost): void {
    if (--shared.users <= 0 && !shared.closed) shared.client.end();
  }

  async #connect(chain: readonly Endpoint[], index: number): Promise<SharedJumpHost> {
    const previous = index > 0 ? await this.#use(chain, index - 1) : undefined;
    try {
      const sock = previous ? await forwardThrough(previous.client, chain[index - 1]!, chain[index]!) : undefined;
      const client = await connectEndpoint(chain[index]!, this.#deps, sock);
      const shared: SharedJumpHost = { client, users: 0, previous, closed: false };
      client.on('close', () => {
        shared.closed = true;
        if (previous) this.#unuse(previous);
      });
      return shared;
    } catch (e) {
      if (previous) this.#unuse(previous);
      throw e;
    }
  }
}
