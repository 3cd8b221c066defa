import { createSubscriber } from 'svelte/reactivity';
import type { ApiEvent } from '../../../../app/api/index.ts';
import { asApiError } from '../transport/client.ts';
import type { ApiClient } from '../transport/client.ts';

export interface CollectionSource<T> {
  /** Loads the full list (on first use and after each reconnect). */
  load(client: ApiClient): Promise<T[]>;
  /** Folds one pushed event into the list; returns the new list, or null when the event is not for it. */
  fold(items: T[], event: ApiEvent): T[] | null;
}

/** A list the core owns (clusters, activity, prompts): loaded once, then kept current by pushed events. */
export class CollectionStore<T> {
  #items = $state.raw<T[]>([]);
  error = $state<string | null>(null);
  readonly #client: ApiClient;
  readonly #source: CollectionSource<T>;
  readonly #subscribe: () => void;

  constructor(client: ApiClient, source: CollectionSource<T>) {
    this.#client = client;
    this.#source = source;
    this.#subscribe = createSubscriber(() => {
      const offEvents = client.subscribe((ev) => {
        const next = source.fold(this.#items, ev);
        if (next) this.#items = next;
      });
      const offStatus = client.onStatus((s) => {
        if (s.state === 'open') void this.reload();
      });
      return () => {
        offEvents();
        offStatus();
      };
    });
  }

  get items(): T[] {
    this.#subscribe();
    return this.#items;
  }

  set(items: T[]): void {
    this.#items = items;
  }

  async reload(): Promise<void> {
    try {
      this.#items = await this.#source.load(this.#client);
      this.error = null;
    } catch (err) {
      this.error = asApiError(err).message;
    }
  }
}
