// Watch streams: newline-delimited JSON events, resumable from a resourceVersion, with bookmarks, 410 Gone for
// compacted history, selector transitions (an object leaving the selection is DELETED for this watcher).
import type { ServerResponse } from 'node:http';
import { statusBody } from './errors.ts';
import type { ResourceDef } from './resources.ts';
import { resourceKey } from './resources.ts';
import type { FieldRequirement, Requirement } from './selectors.ts';
import { matchesFields, matchesRequirements } from './selectors.ts';
import type { Store, StoreEvent } from './store.ts';
import type { KubeObject } from './types.ts';

export interface WatchRequest {
  def: ResourceDef;
  namespace: string | undefined;
  labels: Requirement[];
  fields: FieldRequirement[];
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutMs: number;
  bookmarkIntervalMs: number;
  present(o: KubeObject): unknown;
}

export function serveWatch(store: Store, res: ServerResponse, w: WatchRequest, onClose: (stop: () => void) => void): void {
  const key = resourceKey(w.def.group, w.def.resource);
  const matches = (o: KubeObject | undefined): boolean => o !== undefined
    && (w.namespace === undefined || o.metadata.namespace === w.namespace)
    && matchesRequirements(w.labels, o.metadata.labels) && matchesFields(w.fields, o as unknown as Record<string, unknown>);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const send = (type: string, object: unknown) => res.write(JSON.stringify({ type, object }) + '\n');
  const bookmark = (annotations?: Record<string, string>) => send('BOOKMARK', {
    kind: w.def.kind, apiVersion: w.def.group ? `${w.def.group}/${w.def.version}` : w.def.version,
    metadata: { resourceVersion: String(store.currentRv()), creationTimestamp: null, ...(annotations ? { annotations } : {}) },
  });

  const deliver = (e: StoreEvent) => {
    if (e.resource !== key) return;
    const now = e.type === 'DELETED' ? false : matches(e.object);
    const before = e.type === 'ADDED' ? false : matches(e.previous);
    if (e.type === 'DELETED') {
      if (before) send('DELETED', w.present(e.object));
    } else if (now && before) send('MODIFIED', w.present(e.object));
    else if (now) send('ADDED', w.present(e.object));
    else if (before) send('DELETED', w.present(e.object));
  };

  let stopped = false;
  let unsubscribe = () => {};
  const timers: NodeJS.Timeout[] = [];
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    res.end();
  };
  res.on('close', stop);
  onClose(stop);

  const rv = w.resourceVersion;
  if (rv === undefined || rv === '' || rv === '0' || w.sendInitialEvents) {
    for (const o of store.list(key, w.namespace)) if (matches(o)) send('ADDED', w.present(o));
    if (w.sendInitialEvents && w.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    const from = Number(rv);
    const events = Number.isInteger(from) ? store.eventsSince(from) : undefined;
    if (events === undefined) {
      send('ERROR', statusBody(410, 'Expired', `too old resource version: ${rv} (${store.oldestWatchableRv()})`));
      stop();
      return;
    }
    for (const e of events) deliver(e);
  }
  unsubscribe = store.subscribe(deliver);
  if (w.allowBookmarks) {
    const tick = () => {
      if (stopped) return;
      bookmark();
      timers[0] = setTimeout(tick, w.bookmarkIntervalMs);
    };
    timers[0] = setTimeout(tick, w.bookmarkIntervalMs);
  }
  timers[1] = setTimeout(stop, w.timeoutMs);
}
