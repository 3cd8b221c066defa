import type { ClusterSummary, ConnectionState } from '../api/clusters.ts';
import { ApiError } from '../api/errors.ts';
import type { ApiEvent } from '../api/events.ts';
import type { NodesEvent } from '../api/nodes.ts';
import { ClusterConnection, type ClusterSource } from '../cluster/connection.ts';
import { NodeInventory, type InventoryStatus } from '../cluster/inventory.ts';
import { loadKubeconfigs, type ContextEntry, type KubeconfigWarning } from '../cluster/kubeconfig.ts';
import { loadMachineOwnership } from '../cluster/machine-deployments.ts';
import { ensureLoginShellPath } from '../cluster/shell-env.ts';
import type { ActivityLog } from './activity-log.ts';

export const DEMO_CLUSTER_ID = 'demo';

interface ClusterRecord {
  id: string;
  source: ClusterSource;
  entry: ContextEntry;
  kubeconfigPath: string | null;
  state: ConnectionState;
  error: ApiError | null;
  connection: ClusterConnection | null;
  inventory: NodeInventory | null;
  connecting: Promise<void> | null;
  ownership: OwnershipPoller | null;
}

interface OwnershipPoller {
  /** Refresh soon (debounced): a node pointed at a Machine the index does not know. */
  refreshSoon(): void;
  stop(): void;
}

/** How long to gather "unknown Machine" hints before re-reading Machines and MachineSets. */
const OWNERSHIP_DEBOUNCE_MS = 1000;

export interface ClusterRegistryOptions {
  kubeconfigFiles: readonly string[];
  /** --kubeconfig given explicitly: a missing file is reported. */
  filesRequired: boolean;
  demoKubeconfig?: string;
  loginShellPath: boolean;
  emit(event: ApiEvent): void;
  activity: ActivityLog;
  ownershipRefreshMs?: number;
  /** How long connect keeps retrying an unreachable cluster before it gives up (the inventory keeps trying). */
  connectPatienceMs?: number;
  /** How long an API request waits for the first byte of the answer (default 30 s). */
  requestTimeoutMs?: number;
}

/**
 * Every kubeconfig context (and the demo cluster) as its own cluster: connections open on demand, several at
 * once, each with its node inventory. Pushes `cluster` events on state changes and `nodes` events from the
 * inventories.
 */
export class ClusterRegistry {
  readonly warnings: KubeconfigWarning[] = [];
  /** The cluster id of the kubeconfig's current-context (first file that sets one), if any. */
  readonly currentContext: string | null = null;
  private readonly records = new Map<string, ClusterRecord>();
  private readonly opts: ClusterRegistryOptions;

  constructor(opts: ClusterRegistryOptions) {
    this.opts = opts;
    if (opts.demoKubeconfig) {
      const demo = loadKubeconfigs([opts.demoKubeconfig], { required: true });
      this.warnings.push(...demo.warnings);
      const entry = demo.contexts.find((c) => c.name === demo.currentContext) ?? demo.contexts[0];
      if (entry) this.add(DEMO_CLUSTER_ID, 'demo', entry, opts.demoKubeconfig);
    }
    const loaded = loadKubeconfigs(opts.kubeconfigFiles, { required: opts.filesRequired });
    this.warnings.push(...loaded.warnings);
    for (const entry of loaded.contexts) {
      const id = this.records.has(entry.name) ? `${entry.name}@kubeconfig` : entry.name;
      this.add(id, 'kubeconfig', entry, entry.file);
      if (entry.name === loaded.currentContext) this.currentContext = id;
    }
    for (const w of this.warnings) opts.activity.record('kubeconfig-warning', w.message);
  }

  private add(id: string, source: ClusterSource, entry: ContextEntry, kubeconfigPath: string): void {
    this.records.set(id, {
      id,
      source,
      entry,
      kubeconfigPath,
      state: entry.error ? 'error' : 'disconnected',
      error: entry.error,
      connection: null,
      inventory: null,
      connecting: null,
      ownership: null,
    });
  }

  private record(id: string): ClusterRecord {
    const r = this.records.get(id);
    if (!r) throw new ApiError('not-found', `No cluster named "${id}". Known: ${[...this.records.keys()].join(', ') || 'none'}.`, { cluster: id });
    return r;
  }

  ids(): string[] {
    return [...this.records.keys()];
  }

  summary(id: string): ClusterSummary {
    const r = this.record(id);
    return {
      id: r.id,
      name: r.source === 'demo' ? DEMO_CLUSTER_ID : r.entry.name,
      source: r.source,
      server: r.entry.server,
      kubeconfigPath: r.source === 'demo' ? null : r.kubeconfigPath,
      state: r.state,
      error: r.error?.toInfo() ?? null,
      nodeCount: r.inventory && r.state !== 'disconnected' ? r.inventory.size : null,
    };
  }

  list(): ClusterSummary[] {
    return this.ids().map((id) => this.summary(id));
  }

  private setState(r: ClusterRecord, state: ConnectionState, error: ApiError | null): void {
    const changed = r.state !== state || r.error?.message !== error?.message;
    r.state = state;
    r.error = error;
    if (!changed) return;
    this.opts.emit({ topic: 'cluster', payload: this.summary(r.id) });
    const what = error ? `${state}: ${error.message}` : state;
    this.opts.activity.record(`cluster-${state}`, `Cluster ${r.id} ${what}`, { cluster: r.id });
  }

  /** Opens the connection and waits for the first node list; throws the reason when that fails. */
  async connect(id: string): Promise<ClusterSummary> {
    const r = this.record(id);
    if (r.entry.error) throw r.entry.error;
    r.connecting ??= this.open(r).finally(() => {
      r.connecting = null;
    });
    await r.connecting;
    return this.summary(id);
  }

  private async open(r: ClusterRecord): Promise<void> {
    if (r.inventory && r.inventory.status().state !== 'error' && r.inventory.status().state !== 'disconnected') {
      await this.firstOutcome(r, r.inventory);
      return;
    }
    await r.inventory?.stop();
    if (this.opts.loginShellPath) await ensureLoginShellPath();
    this.setState(r, 'connecting', null);
    const connection = (r.connection ??= new ClusterConnection(r.entry, { id: r.id, source: r.source, kubeconfigPath: r.kubeconfigPath, ...(this.opts.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: this.opts.requestTimeoutMs }) }));
    const inventory = new NodeInventory({
      cluster: r.id,
      source: connection.nodeSource(),
      classify: (err, verb) => connection.classify(err, verb, 'nodes'),
      onUnknownMachine: () => r.ownership?.refreshSoon(),
      loadOwnership: () => loadMachineOwnership((path) => connection.getJsonOrNull(path)),
    });
    r.inventory = inventory;
    inventory.onEvent((payload) => this.opts.emit({ topic: 'nodes', payload }));
    inventory.onStatus((s: InventoryStatus) => {
      if (r.inventory === inventory) this.setState(r, s.state, s.error);
    });
    inventory.start();
    await this.firstOutcome(r, inventory);
    r.ownership = this.pollOwnership(r, inventory);
  }

  /**
   * Resolves when the first list is in. Rejects at once on a permanent failure (credentials, RBAC, TLS), and
   * with the last error when the cluster stays unreachable for `connectPatienceMs` (retrying meanwhile), so a
   * single 503 or dropped connection does not fail a connect.
   */
  private firstOutcome(r: ClusterRecord, inventory: NodeInventory): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const failure = () => inventory.status().error ?? new ApiError('cluster-unreachable', `Cluster ${r.id} is ${inventory.status().state}.`, { cluster: r.id });
      const finish = (err: ApiError | null) => {
        off();
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const settle = () => {
        const { state } = inventory.status();
        if (state === 'error' || state === 'disconnected') finish(failure());
        else if (state === 'offline') timer ??= setTimeout(() => finish(failure()), this.opts.connectPatienceMs ?? 15_000);
      };
      const off = inventory.onStatus(settle);
      void inventory.synced().then(() => finish(null));
      settle();
    });
  }

  /**
   * Machine → MachineDeployment ownership: read at connect, then every `ownershipRefreshMs`, and soon after a
   * node names a Machine the index does not know. Silently absent without the machine-controller CRDs.
   */
  private pollOwnership(r: ClusterRecord, inventory: NodeInventory): OwnershipPoller {
    let stopped = false;
    let running = false;
    let timer: NodeJS.Timeout | undefined;
    let reported = false;
    const schedule = (ms: number) => {
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(() => void tick(), ms);
    };
    const tick = async () => {
      running = true;
      try {
        await inventory.refreshOwnership();
      } catch (err) {
        if (!reported && err instanceof ApiError && err.kind === 'forbidden') {
          reported = true;
          this.opts.activity.record('machine-deployments-unreadable', `MachineDeployment ownership unavailable on ${r.id}: ${err.message}`, { cluster: r.id });
        }
      }
      running = false;
      schedule(this.opts.ownershipRefreshMs ?? 60_000);
    };
    void tick();
    let hinted = 0;
    return {
      refreshSoon: () => {
        // One re-read per debounce window at most, however many new nodes arrive at once.
        if (running || Date.now() - hinted < OWNERSHIP_DEBOUNCE_MS) return;
        hinted = Date.now();
        schedule(OWNERSHIP_DEBOUNCE_MS);
      },
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  async disconnect(id: string): Promise<ClusterSummary> {
    const r = this.record(id);
    r.ownership?.stop();
    r.ownership = null;
    const inventory = r.inventory;
    r.inventory = null;
    await inventory?.stop();
    if (!r.entry.error) this.setState(r, 'disconnected', null);
    return this.summary(id);
  }

  connection(id: string): ClusterConnection {
    const r = this.record(id);
    if (!r.connection) throw new ApiError('invalid-request', `Cluster ${id} is not connected; connect it first.`, { cluster: id });
    return r.connection;
  }

  /** The cluster's inventory, connecting first if needed. */
  async inventory(id: string): Promise<NodeInventory> {
    const r = this.record(id);
    if (!r.inventory || r.state === 'disconnected' || r.state === 'error') await this.connect(id);
    return r.inventory!;
  }

  /** What a new subscriber needs to catch up: each open cluster's state and nodes. */
  catchUp(): ApiEvent[] {
    const events: ApiEvent[] = [];
    for (const r of this.records.values()) {
      events.push({ topic: 'cluster', payload: this.summary(r.id) });
      if (r.inventory && r.state !== 'disconnected') {
        const snapshot: NodesEvent = r.inventory.snapshot();
        events.push({ topic: 'nodes', payload: snapshot });
      }
    }
    return events;
  }

  async close(): Promise<void> {
    await Promise.all(this.ids().map((id) => this.disconnect(id)));
  }
}
