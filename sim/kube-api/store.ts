// In-memory object storage with etcd-like semantics: one global, increasing resourceVersion; an event history
// kept for a bounded window (older watch starts get 410 Gone); synchronous change notification.
import type { KubeObject } from './types.ts';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: StoreEventType;
  /** resource key, e.g. "pods" or "deployments.apps" */
  resource: string;
  rv: number;
  object: KubeObject;
  previous: KubeObject | undefined;
}

export type StoreListener = (e: StoreEvent) => void;

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class Store {
  private rv = 1;
  private compactedRv = 1;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  /** sorted keys per resource, rebuilt only after an insert or removal */
  private readonly order = new Map<string, string[]>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private readonly historySize: number;

  constructor(historySize = 2000) {
    this.historySize = historySize;
  }

  currentRv(): number {
    return this.rv;
  }

  /** Watches may start from any resourceVersion at or above this one. */
  oldestWatchableRv(): number {
    return this.compactedRv;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let b = this.data.get(resource);
    if (!b) {
      b = new Map();
      this.data.set(resource, b);
    }
    return b;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.data.get(resource)?.get(objectKey(namespace, name));
  }

  /** Objects in key order (namespace, then name), as etcd lists them. */
  list(resource: string, namespace?: string): KubeObject[] {
    const b = this.data.get(resource);
    if (!b) return [];
    let keys = this.order.get(resource);
    if (!keys) {
      keys = [...b.keys()].sort();
      this.order.set(resource, keys);
    }
    const out: KubeObject[] = [];
    for (const k of keys) {
      const o = b.get(k) as KubeObject;
      if (namespace === undefined || o.metadata.namespace === namespace) out.push(o);
    }
    return out;
  }

  private commit(type: StoreEventType, resource: string, obj: KubeObject, previous: KubeObject | undefined): KubeObject {
    this.rv += 1;
    const stored = deepFreeze({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } });
    const key = objectKey(stored.metadata.namespace, stored.metadata.name);
    const bucket = this.bucket(resource);
    if (type === 'DELETED' || !bucket.has(key)) this.order.delete(resource);
    if (type === 'DELETED') bucket.delete(key);
    else bucket.set(key, stored);
    const event: StoreEvent = { type, resource, rv: this.rv, object: stored, previous };
    this.history.push(event);
    if (this.history.length > this.historySize) {
      const dropped = this.history.shift() as StoreEvent;
      this.compactedRv = dropped.rv;
    }
    for (const l of [...this.listeners]) l(event);
    return stored;
  }

  create(resource: string, obj: KubeObject): KubeObject {
    return this.commit('ADDED', resource, obj, undefined);
  }

  update(resource: string, obj: KubeObject, previous: KubeObject): KubeObject {
    return this.commit('MODIFIED', resource, obj, previous);
  }

  remove(resource: string, obj: KubeObject): KubeObject {
    return this.commit('DELETED', resource, obj, obj);
  }

  /** Forgets the history so far, as etcd compaction and a fresh watch cache do: older watch starts get 410. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  resources(): string[] {
    return [...this.data.keys()];
  }

  /** Events after `rv`, or undefined when that part of the history is compacted away. */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    const first = this.history.findIndex((e) => e.rv > rv);
    return first < 0 ? [] : this.history.slice(first);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
