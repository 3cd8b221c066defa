import type { NodeLiveState, NodeSummary, NodesEvent } from '../api/nodes.ts';
import type { NodeInventory } from '../cluster/inventory.ts';
import type { FlatcarNode } from '../flatcar/node.ts';
import type { Clock } from '../support/clock.ts';
import { followNode, type FollowTiming } from './node-follower.ts';

export interface LiveWatchOptions {
  inventory: NodeInventory;
  /** The Flatcar adapter for a node (where to SSH is resolved at each call). */
  connect(node: NodeSummary): Promise<FlatcarNode>;
  emit(state: NodeLiveState): void;
  clock: Clock;
  timing: FollowTiming;
  /**
   * How many nodes are followed at once. Each followed node holds an SSH connection open, so a cluster of
   * thousands is followed in part: the nodes beyond it wait, in inventory order, until a followed one leaves.
   */
  maxFollowed: number;
  /** Called once the watch has stopped by itself (the cluster was closed). */
  onStopped(): void;
}

/** The most nodes one cluster's watch follows at once (each holds an SSH connection with its watch stream). */
export const LIVE_FOLLOW_LIMIT = 200;

/**
 * Follows the update_engine of every Flatcar node of one open cluster, whoever drives its updates (flatdeck,
 * update-engine's own checks, FLUO): nodes join and leave with the inventory, and everything stops when the
 * cluster is closed. The SSH pool bounds how many nodes are dialled at once.
 */
export class LiveWatch {
  readonly #opts: LiveWatchOptions;
  /** Each followed node's stop switch. */
  readonly #followers = new Map<string, AbortController>();
  /** Nodes the operator must fix first (a declined host key, a rejected login): not followed until `retry`. */
  readonly #givenUp = new Set<string>();
  /** Flatcar nodes beyond `maxFollowed`, in the order they came: followed as places free up. */
  readonly #waiting = new Set<string>();
  readonly #unsubscribe: Array<() => void> = [];
  #stopped = false;

  constructor(opts: LiveWatchOptions) {
    this.#opts = opts;
    const { inventory } = opts;
    this.#unsubscribe.push(
      inventory.onEvent((e) => this.#apply(e)),
      inventory.onStatus((s) => {
        if (s.state !== 'disconnected') return;
        this.stop();
        opts.onStopped();
      }),
    );
    this.#apply(inventory.snapshot());
  }

  /** The nodes followed now. */
  get size(): number {
    return this.#followers.size;
  }

  /** Flatcar nodes not followed because `maxFollowed` are. */
  get waiting(): number {
    return this.#waiting.size;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Follows again the nodes given up on (the operator may have fixed why). */
  retry(): void {
    const names = [...this.#givenUp];
    this.#givenUp.clear();
    for (const name of names) if (this.#opts.inventory.get(name)?.distribution === 'flatcar') this.#follow(name);
  }

  /**
   * Stops every follower at once. A read already on its way is not waited for (an unreachable node may hold it
   * for the connect timeout); its answer is dropped, and closing the SSH pool ends it.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const off of this.#unsubscribe.splice(0)) off();
    for (const stop of this.#followers.values()) stop.abort();
    this.#followers.clear();
    this.#waiting.clear();
  }

  #apply(e: NodesEvent): void {
    if (this.#stopped) return;
    switch (e.type) {
      case 'snapshot': {
        const flatcar = new Set(e.nodes.filter((n) => n.distribution === 'flatcar').map((n) => n.name));
        for (const name of this.#followers.keys()) if (!flatcar.has(name)) this.#unfollow(name);
        for (const name of flatcar) this.#follow(name);
        return;
      }
      case 'upsert':
        if (e.node.distribution === 'flatcar') this.#follow(e.node.name);
        else this.#unfollow(e.node.name);
        return;
      case 'delete':
        this.#unfollow(e.name);
        return;
      case 'live':
        return;
    }
  }

  #follow(name: string): void {
    if (this.#followers.has(name) || this.#givenUp.has(name)) return;
    if (this.#followers.size >= this.#opts.maxFollowed) {
      this.#waiting.add(name);
      return;
    }
    this.#waiting.delete(name);
    const stop = new AbortController();
    const { inventory, connect, emit, clock, timing } = this.#opts;
    const deps = {
      connect: async () => {
        const summary = inventory.get(name);
        if (!summary) throw new Error(`${name} is no longer in the cluster`);
        return connect(summary);
      },
      emit,
      clock,
      timing,
    };
    void followNode(name, deps, stop.signal).finally(() => {
      if (this.#followers.get(name) !== stop) return;
      this.#followers.delete(name);
      if (!stop.signal.aborted) this.#givenUp.add(name);
      this.#followNextWaiting();
    });
    this.#followers.set(name, stop);
  }

  #unfollow(name: string): void {
    this.#givenUp.delete(name);
    this.#waiting.delete(name);
    const stop = this.#followers.get(name);
    if (!stop) return;
    stop.abort();
    this.#followers.delete(name);
    this.#followNextWaiting();
  }

  #followNextWaiting(): void {
    if (this.#stopped) return;
    for (const name of this.#waiting) {
      if (this.#followers.size >= this.#opts.maxFollowed) return;
      this.#waiting.delete(name);
      if (this.#opts.inventory.get(name)?.distribution === 'flatcar') this.#follow(name);
    }
  }
}
