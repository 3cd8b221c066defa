import type { ActivityEntry, ClusterSummary, Prompt } from '../../../../app/api/index.ts';
import type { CollectionSource } from './collection.svelte.ts';

const maxActivity = 5000;

export const clustersSource: CollectionSource<ClusterSummary> = {
  load: (client) => client.call('clusters.list', {}),
  fold(items, ev) {
    if (ev.topic !== 'cluster') return null;
    const i = items.findIndex((c) => c.id === ev.payload.id);
    return i === -1 ? [...items, ev.payload] : items.map((c, j) => (j === i ? ev.payload : c));
  },
};

export const activitySource: CollectionSource<ActivityEntry> = {
  load: (client) => client.call('activity.list', { limit: 1000 }),
  fold(items, ev) {
    if (ev.topic !== 'activity') return null;
    const next = [...items, ev.payload];
    return next.length > maxActivity ? next.slice(next.length - maxActivity) : next;
  },
};

export const promptsSource: CollectionSource<Prompt> = {
  load: (client) => client.call('prompt.pending', {}),
  fold(items, ev) {
    if (ev.topic !== 'prompt') return null;
    return items.some((p) => p.id === ev.payload.id) ? items : [...items, ev.payload];
  },
};
