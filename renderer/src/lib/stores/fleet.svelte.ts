import { createSubscriber } from 'svelte/reactivity';
import type { ApiEvent, NodeLiveState, ReleaseInfo, RolloutState } from '../../../../app/api/index.ts';
import { VersionHistory, versionBreakdown, versionKey } from '../model/breakdown.ts';
import { FleetModel } from '../model/fleet.ts';
import type { NodeHistory, NodeRow } from '../model/fleet.ts';
import { asApiError } from '../transport/client.ts';
import type { ApiClient } from '../transport/client.ts';

/**
 * One cluster's nodes, live state, runs and per-node histories, fed by pushed events.
 * It subscribes to the core when a view first reads it and unsubscribes when the last reader goes away.
 */
export class FleetStore {
  readonly cluster: string;
  readonly model: FleetModel;
  readonly versionHistory = new VersionHistory();
  loaded = $state(false);
  loadError = $state<string | null>(null);
  /** The newest release per channel (from the feed, its cache or the nodes); null until first read. */
  releases = $state.raw<ReleaseInfo | null>(null);
  /** Flatcar nodes whose update_engine is not followed live (the core follows a large cluster in part). */
  liveWaiting = $state(0);
  #version = $state(0);
  /** A node's version or channel changed, or nodes came or went, since the history last counted them. */
  #versionsChanged = false;
  readonly #client: ApiClient;
  readonly #subscribe: () => void;
  readonly #bump: () => void;

  constructor(client: ApiClient, cluster: string, schedule: (run: () => void) => () => void) {
    this.#client = client;
    this.cluster = cluster;
    this.model = new FleetModel(cluster);
    this.#bump = schedule(() => {
      // counting 5,000 rows on every frame with a heartbeat in it cost more than drawing the table
      if (this.#versionsChanged) this.versionHistory.record(Date.now(), versionBreakdown(this.model.rows.values()));
      this.#versionsChanged = false;
      this.#version++;
    });
    this.#subscribe = createSubscriber(() => {
      const offEvents = client.subscribe((ev) => {
        if (this.apply(ev)) this.#bump();
      });
      const offStatus = client.onStatus((s) => {
        if (s.state === 'open') void this.load();
      });
      return () => {
        offEvents();
        offStatus();
      };
    });
  }

  /** Folds one event into the model; true when it concerned this cluster. */
  apply(ev: ApiEvent): boolean {
    switch (ev.topic) {
      case 'nodes': {
        const p = ev.payload;
        const before = p.type === 'upsert' ? this.model.rows.get(p.node.name) : undefined;
        const applied = this.model.applyNodes(p);
        if (applied && p.type !== 'live' && (p.type !== 'upsert' || !before || versionKey(before) !== versionKey(this.model.rows.get(p.node.name)!))) this.#versionsChanged = true;
        return applied;
      }
      case 'step':
        return this.model.applyStep(ev.payload);
      case 'command':
        return this.model.applyCommand(ev.payload);
      case 'rollout':
        this.#rereadFinished(ev.payload);
        return this.model.applyRollout(ev.payload);
      default:
        return false;
    }
  }

  /**
   * A node that just finished its update rebooted into a new update_engine: read its state once more, so the
   * table does not keep showing the pre-reboot UPDATED_NEED_REBOOT.
   */
  #rereadFinished(run: RolloutState): void {
    const finished = run.nodes.filter((n) => (n.phase === 'done' || n.phase === 'current') && this.model.rows.get(n.node)?.run?.phase !== n.phase);
    if (run.cluster === this.cluster && finished.length) void this.refreshLive(finished.map((n) => n.node)).catch(() => undefined);
  }

  /** The snapshot a (re)connected view starts from; later changes arrive as events. */
  async load(): Promise<void> {
    const errors: string[] = [];
    const part = async (run: () => Promise<void>) => {
      try {
        await run();
      } catch (err) {
        errors.push(asApiError(err).message);
      }
      this.#bump();
    };
    await part(async () => {
      const nodes = await this.#client.call('nodes.list', { cluster: this.cluster });
      this.model.applyNodes({ type: 'snapshot', cluster: this.cluster, nodes });
      this.#versionsChanged = true;
      this.loaded = true;
    });
    await part(async () => {
      for (const r of await this.#client.call('rollout.list', { cluster: this.cluster })) this.model.applyRollout(r);
    });
    // The feed may be slow or unreachable (offline, air-gapped): it must not hold up the SSH reads.
    await Promise.all([part(() => this.refreshReleases()), part(async () => void (await this.refreshLive()))]);
    this.loadError = errors.length ? errors.join(' ') : null;
  }

  async refreshReleases(refresh = false): Promise<void> {
    this.releases = await this.#client.call('releases.get', { cluster: this.cluster, refresh });
  }

  /** Asks the core to read update_engine over SSH now (once; later changes are pushed while it follows the nodes). */
  async refreshLive(nodes?: string[]): Promise<NodeLiveState[]> {
    const states = await this.#client.call('nodes.refreshLive', nodes ? { cluster: this.cluster, nodes } : { cluster: this.cluster });
    for (const state of states) this.model.applyLive(state);
    this.#bump();
    // From a whole read on, the core pushes every update_engine change, whoever drives the update; a whole
    // refresh also follows again the nodes it gave up on (the operator may have fixed why).
    if (!nodes) this.liveWaiting = (await this.#client.call('nodes.followLive', { cluster: this.cluster })).waiting;
    return states;
  }

  /** Read inside a reactive context to re-run when anything changes. */
  get version(): number {
    this.#subscribe();
    return this.#version;
  }

  get rows(): NodeRow[] {
    void this.version;
    return [...this.model.rows.values()];
  }

  row(name: string): NodeRow | undefined {
    void this.version;
    return this.model.rows.get(name);
  }

  /** A copy per change: the model appends in place, and views must see a new value to update. */
  history(name: string): NodeHistory | undefined {
    void this.version;
    const h = this.model.histories.get(name);
    return h && { ...h, ops: [...h.ops], samples: [...h.samples], steps: [...h.steps], commands: [...h.commands] };
  }
}
