import { SvelteSet } from 'svelte/reactivity';
import type { ActivityEntry, ApiErrorInfo, ClusterSummary, Prompt, Settings, SettingsPatch } from '../../../../app/api/index.ts';
import { i18n } from '../i18n/index.svelte.ts';
import type { ApiClient, ConnectionStatus } from '../transport/client.ts';
import { defaultFilter } from '../model/table.ts';
import type { FilterSpec, SortSpec } from '../model/table.ts';
import { CollectionStore } from './collection.svelte.ts';
import { FleetStore } from './fleet.svelte.ts';
import { frameScheduler } from './frame.ts';
import { activitySource, clustersSource, promptsSource } from './sources.ts';

import type { Route, View } from '../route.ts';

export { views } from '../route.ts';
export type { View };
export type Theme = Settings['theme'];

/** Application-wide UI state: where the operator is, and the stores views share. */
export class AppState {
  readonly client: ApiClient;
  view = $state<View>('clusters');
  cluster = $state<string | null>(null);
  node = $state<string | null>(null);
  theme = $state<Theme>('system');
  status = $state<ConnectionStatus>({ state: 'connecting' });
  /** Set from the moment the link to the core is lost until it is back: what is on screen is as of `asOf`. */
  link = $state<{ asOf: number | null; retryAt: number | null; reason: string } | null>(null);
  /** The node table's filter and sort, kept while the operator moves between views. */
  filter = $state<FilterSpec>({ ...defaultFilter });
  sort = $state<SortSpec>({ key: 'name', dir: 'asc' });
  /** The node table's keyboard cursor (arrows move it, Enter opens, u updates). */
  activeNode = $state<string | null>(null);
  /** Set by the `u` shortcut: the node detail opens its update confirmation for this node. */
  confirmUpdateFor = $state<string | null>(null);
  showShortcuts = $state(false);
  /** Nodes picked in the table for a rollout. */
  readonly selection = new SvelteSet<string>();
  /** A refused connection because a host key changed: shown as a dialog with both fingerprints. */
  hostKeyChanged = $state<ApiErrorInfo | null>(null);
  readonly clusters: CollectionStore<ClusterSummary>;
  readonly activity: CollectionStore<ActivityEntry>;
  readonly prompts: CollectionStore<Prompt>;
  #fleet: FleetStore | null = null;

  constructor(client: ApiClient) {
    this.client = client;
    this.clusters = new CollectionStore(client, clustersSource);
    this.activity = new CollectionStore(client, activitySource);
    this.prompts = new CollectionStore(client, promptsSource);
    client.onStatus((s) => {
      this.status = s;
      if (s.state === 'open') this.link = null;
      else if (s.state === 'closed') this.link = { asOf: s.lastContact ?? this.link?.asOf ?? null, retryAt: s.retryAt ?? null, reason: s.reason };
    });
  }

  /** The open cluster's fleet store (one per cluster; recreated when the operator switches cluster). */
  get fleet(): FleetStore | null {
    const cluster = this.cluster;
    if (!cluster) return null;
    if (this.#fleet?.cluster !== cluster) this.#fleet = new FleetStore(this.client, cluster, frameScheduler);
    return this.#fleet;
  }

  /** Where the operator is, for the address bar (lib/route.ts). */
  get route(): Route {
    return { cluster: this.cluster, view: this.view, node: this.view === 'node' ? this.node : null };
  }

  /** Goes where a route (Back, Forward, a reload or a link) points. */
  applyRoute(route: Route): void {
    if (route.cluster !== this.cluster) this.selection.clear();
    this.cluster = route.cluster;
    this.node = route.node;
    this.view = route.view;
  }

  openNode(name: string): void {
    this.node = name;
    this.view = 'node';
  }

  /** Opens the node and its update confirmation: nothing changes before the operator confirms. */
  requestUpdate(name: string): void {
    this.openNode(name);
    this.confirmUpdateFor = name;
  }

  /** Notices errors that need their own dialog, wherever they surface. */
  noticeError(error: ApiErrorInfo | null | undefined): void {
    if (error?.kind === 'host-key-changed') this.hostKeyChanged = error;
  }

  async loadSettings(): Promise<Settings | null> {
    try {
      const settings = await this.client.call('settings.get', {});
      this.applySettings(settings);
      return settings;
    } catch {
      return null;
    }
  }

  /** Takes over what the core stored for this window's language and theme. */
  applySettings(settings: Settings): void {
    i18n.lang = settings.language;
    this.theme = settings.theme;
  }

  async setLanguage(lang: Settings['language']): Promise<void> {
    i18n.lang = lang;
    await this.#patchSettings({ language: lang });
  }

  async setTheme(theme: Theme): Promise<void> {
    this.theme = theme;
    await this.#patchSettings({ theme });
  }

  /** `settings.set` takes a patch: only the named setting changes, and only it is logged in Activity. */
  async #patchSettings(change: SettingsPatch): Promise<void> {
    try {
      await this.client.call('settings.set', change);
    } catch {
      // The choice still applies to this window; it is just not remembered.
    }
  }
}
