import { ApiError } from '../../app/api/index.ts';
import type { ApiEvent, ApiHandler, ClusterSummary } from '../../app/api/index.ts';

export const demoCluster: ClusterSummary = {
  id: 'demo',
  name: 'demo',
  source: 'demo',
  server: 'https://127.0.0.1:6443',
  kubeconfigPath: null,
  state: 'connected',
  error: null,
  nodeCount: 3,
};

/**
 * A stand-in core for host tests: knows one cluster, fails `nodes.list` for any other with the core's
 * error shape, records what reached it, and pushes events on demand.
 */
export class FakeHandler implements ApiHandler {
  readonly calls: Array<{ method: string; params: unknown }> = [];
  readonly #listeners = new Set<(event: ApiEvent) => void>();
  closed = false;

  async call(method: string, params: unknown): Promise<never> {
    this.calls.push({ method, params });
    if (method === 'clusters.list') return [demoCluster] as never;
    const cluster = (params as { cluster?: string }).cluster ?? '';
    if (method === 'nodes.list' && cluster !== 'demo') {
      throw new ApiError('not-found', `No cluster named "${cluster}".`, { cluster });
    }
    if (method === 'nodes.list') return [] as never;
    throw new Error(`the fake core does not implement ${method}`);
  }

  subscribe(listener: (event: ApiEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  emit(event: ApiEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export const clusterEvent: ApiEvent = { topic: 'cluster', payload: demoCluster };
