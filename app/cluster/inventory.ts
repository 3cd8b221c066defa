import type { ApiError } from '../api/errors.ts';
import type { NodeSummary, NodesEvent } from '../api/nodes.ts';
import { httpStatusOf, isTransient } from './errors.ts';
import { MachineOwnership, machineRefOf, type MachineRef } from './machine-deployments.ts';
import { summarizeNode, type NodeObject } from './node-summary.ts';
import { backoffDelayMs } from '../support/retry.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Where nodes come from: a Kubernetes list and a watch from a resourceVersion (ClusterConnection.nodeSource()). */
export interface NodeSource {
  list(signal: AbortSignal): Promise<{ items: unknown[]; resourceVersion: string }>;
  /**
   * Resolves when the server ends the stream normally; rejects on failure (a 410 carries statusCode/code 410).
   * `onOpen` fires once the server has accepted the watch.
   */
  watch(
    resourceVersion: string,
    handlers: { onOpen(): void; onEvent(type: WatchEventType, object: unknown): void },
    signal: AbortSignal,
  ): Promise<void>;
}

export type InventoryState = 'connecting' | 'connected' | 'offline' | 'error' | 'disconnected';
export interface InventoryStatus {
  state: InventoryState;
  error: ApiError | null;
}

export interface InventoryOptions {
  cluster: string;
  source: NodeSource;
  /** Turns a list/watch failure into an ApiError (ClusterConnection.classify). */
  classify(err: unknown, verb: 'list' | 'watch'): ApiError;
  backoff?: { initialMs?: number; maxMs?: number };
  /** A watch that ends sooner than this without delivering anything counts as a failure for backoff. */
  minHealthyWatchMs?: number;
  /** A new node, or one pointing at a Machine, that the ownership index cannot place (yet). */
  onUnknownMachine?: () => void;
  /** Reads Machine → MachineDeployment ownership (empty without the machine-controller CRDs); throws e.g. on 403. */
  loadOwnership?: () => Promise<MachineOwnership>;
}

interface Entry {
  summary: NodeSummary;
  machineRef: MachineRef | null;
}

/** A watch ended by an in-stream `ERROR` event carrying a Status; shaped for classifyKubeError. */
class WatchStatusError extends Error {
  readonly statusCode: number;
  readonly body: unknown;
  constructor(status: { code?: unknown; message?: unknown }) {
    super(typeof status.message === 'string' ? status.message : 'watch ended with an error');
    this.name = 'WatchStatusError';
    this.statusCode = typeof status.code === 'number' ? status.code : 500;
    this.body = status;
  }
}

/** Structural equality of JSON-shaped values (summaries hold only plain data). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The node inventory of one cluster: list, then watch from the list's resourceVersion; resume the watch from the
 * last seen resourceVersion after a disconnect, relist on 410 Gone, back off while the API server is away and say
 * so (offline). Nodes live in a Map keyed by name; only the changed node's summary is computed and pushed, so
 * 5,000 nodes cost one summary per change, not one list copy.
 */
export class NodeInventory {
  readonly cluster: string;
  private readonly opts: InventoryOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly eventListeners = new Set<(e: NodesEvent) => void>();
  private readonly statusListeners = new Set<(s: InventoryStatus) => void>();
  private current: InventoryStatus = { state: 'disconnected', error: null };
  private ownership = MachineOwnership.empty();
  private resourceVersion = '';
  private listed = false;
  private abort: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private syncedWaiters: Array<() => void> = [];

  constructor(opts: InventoryOptions) {
    this.cluster = opts.cluster;
    this.opts = opts;
  }

  get size(): number {
    return this.entries.size;
  }

  status(): InventoryStatus {
    return this.current;
  }

  get(name: string): NodeSummary | undefined {
    return this.entries.get(name)?.summary;
  }

  /** A copy of the current summaries (the objects themselves are shared and never mutated). */
  nodes(): NodeSummary[] {
    return Array.from(this.entries.values(), (e) => e.summary);
  }

  snapshot(): NodesEvent {
    return { type: 'snapshot', cluster: this.cluster, nodes: this.nodes() };
  }

  onEvent(listener: (e: NodesEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onStatus(listener: (s: InventoryStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Resolves once the first list has been applied (or immediately if it has). */
  synced(): Promise<void> {
    if (this.listed) return Promise.resolve();
    return new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.setStatus('connecting', null);
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = null;
    this.abort = null;
    this.setStatus('disconnected', null);
  }

  /**
   * The one place MachineDeployment ownership is read: now (the periodic refresh lags behind a scale-up), applied
   * to the nodes; a failure (403 on Machines) is thrown to the caller, never swallowed here.
   */
  async refreshOwnership(): Promise<void> {
    if (this.opts.loadOwnership) this.setOwnership(await this.opts.loadOwnership());
  }

  /** New Machine → MachineDeployment index: re-resolve ownership, push only the nodes whose owner changed. */
  setOwnership(ownership: MachineOwnership): void {
    if (ownership.equals(this.ownership)) return;
    this.ownership = ownership;
    for (const [name, entry] of this.entries) {
      const md = ownership.resolve(entry.machineRef, name);
      if (md === entry.summary.machineDeployment) continue;
      entry.summary = { ...entry.summary, machineDeployment: md };
      this.emit({ type: 'upsert', cluster: this.cluster, node: this.entries.get(name)!.summary });
    }
  }

  private emit(event: NodesEvent): void {
    for (const l of this.eventListeners) l(event);
  }

  private setStatus(state: InventoryState, error: ApiError | null): void {
    if (state === this.current.state && error?.message === this.current.error?.message) return;
    this.current = { state, error };
    for (const l of this.statusListeners) l(this.current);
  }

  private backoffMs(attempt: number): number {
    return backoffDelayMs({ initialMs: this.opts.backoff?.initialMs ?? 500, maxMs: this.opts.backoff?.maxMs ?? 30_000, jitter: true }, attempt);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    // A credential that worked can be rejected once when it rotates (exec plugins hand out short-lived
    // tokens); one fresh attempt, then the rejection stands.
    let credentialRetried = false;
    while (!signal.aborted) {
      let verb: 'list' | 'watch' = 'list';
      try {
        if (!this.resourceVersion) {
          await this.relist(signal);
          this.setStatus('connected', null);
          attempt = 0;
        }
        verb = 'watch';
        const started = Date.now();
        const delivered = await this.watchOnce(signal, () => {
          credentialRetried = false;
          this.setStatus('connected', null);
        });
        if (!delivered && Date.now() - started < (this.opts.minHealthyWatchMs ?? 1000)) {
          await sleep(this.backoffMs(attempt++), signal);
        } else {
          attempt = 0;
        }
      } catch (err) {
        if (signal.aborted) break;
        if (httpStatusOf(err) === 410) {
          this.resourceVersion = '';
          continue;
        }
        const error = this.opts.classify(err, verb);
        if (!isTransient(error)) {
          const credential = error.kind === 'unauthorized' || error.kind === 'credentials-expired';
          if (credential && this.listed && !credentialRetried) {
            credentialRetried = true;
            await sleep(this.backoffMs(0), signal);
            continue;
          }
          this.setStatus('error', error);
          return;
        }
        this.setStatus('offline', error);
        await sleep(this.backoffMs(attempt++), signal);
      }
    }
  }

  /** One watch; true if it delivered at least one event. */
  private async watchOnce(signal: AbortSignal, onOpen: () => void): Promise<boolean> {
    const local = new AbortController();
    const forward = () => local.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    if (signal.aborted) return false;
    let failure: WatchStatusError | null = null;
    let delivered = false;
    try {
      await this.opts.source.watch(
        this.resourceVersion,
        {
          onOpen,
          onEvent: (type, object) => {
            if (failure) return;
            delivered = true;
            if (type === 'ERROR') {
              // e.g. the in-stream 410 Status the server sends when the resourceVersion is too old.
              failure = new WatchStatusError(object as { code?: unknown; message?: unknown });
              local.abort();
              return;
            }
            this.applyWatchEvent(type, object as NodeObject);
          },
        },
        local.signal,
      );
    } catch (err) {
      if (!failure && !signal.aborted) throw err;
    } finally {
      signal.removeEventListener('abort', forward);
    }
    if (failure) throw failure;
    return delivered;
  }

  private applyWatchEvent(type: WatchEventType, node: NodeObject): void {
    const rv = node.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (type === 'ADDED' || type === 'MODIFIED') this.upsert(node);
    else if (type === 'DELETED') this.remove(node.metadata?.name ?? '');
  }

  private upsert(node: NodeObject): boolean {
    const name = node.metadata?.name;
    if (!name) return false;
    const machineRef = machineRefOf(node.metadata?.labels, node.metadata?.annotations);
    const machineDeployment = this.ownership.resolve(machineRef, name);
    const previous = this.entries.get(name);
    if (machineDeployment === null && (machineRef || !previous)) this.opts.onUnknownMachine?.();
    const summary = summarizeNode(node, machineDeployment);
    if (previous && sameJson(previous.summary, summary)) {
      previous.machineRef = machineRef;
      return false;
    }
    this.entries.set(name, { summary, machineRef });
    if (this.listed) this.emit({ type: 'upsert', cluster: this.cluster, node: summary });
    return true;
  }

  private remove(name: string): void {
    if (!this.entries.delete(name)) return;
    this.emit({ type: 'delete', cluster: this.cluster, name });
  }

  /** First list → snapshot; later lists (after 410 or a failed resume) → upserts and deletes for the difference. */
  private async relist(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.opts.source.list(signal);
    if (signal.aborted) return;
    const seen = new Set<string>();
    for (const item of items) {
      const node = item as NodeObject;
      if (node.metadata?.name) seen.add(node.metadata.name);
      this.upsert(node);
    }
    for (const name of [...this.entries.keys()]) if (!seen.has(name)) this.remove(name);
    this.resourceVersion = resourceVersion;
    if (!this.listed) {
      this.listed = true;
      this.emit(this.snapshot());
      for (const w of this.syncedWaiters.splice(0)) w();
    }
  }
}
