export const views = ['clusters', 'overview', 'nodes', 'rollout', 'auto-update', 'activity', 'settings'] as const;
export type View = (typeof views)[number] | 'node';

/** Where the operator is, as the address bar's fragment holds it: `#/c/<cluster>/<view>[/<node>]` or `#/<view>`. */
export interface Route {
  cluster: string | null;
  view: View;
  node: string | null;
}

const knownViews = new Set<string>([...views, 'node']);

export function formatRoute(route: Route): string {
  const view = route.view === 'node' && route.node ? `nodes/${encodeURIComponent(route.node)}` : route.view;
  return route.cluster ? `#/c/${encodeURIComponent(route.cluster)}/${view}` : `#/${view}`;
}

function decode(part: string | undefined): string | null {
  if (!part) return null;
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/** null for anything that is not a route (an empty fragment, the one-time `#token=…`, garbage). */
export function parseRoute(hash: string): Route | null {
  const m = /^#\/(?:c\/([^/]+)\/)?([a-z-]+)(?:\/([^/]+))?$/.exec(hash);
  if (!m) return null;
  const cluster = m[1] === undefined ? null : decode(m[1]);
  const viewName = m[2] ?? '';
  const node = decode(m[3]);
  if ((m[1] !== undefined && cluster === null) || !knownViews.has(viewName)) return null;
  if (viewName === 'nodes' && node) return cluster ? { cluster, view: 'node', node } : null;
  if (m[3] !== undefined) return null;
  return { cluster, view: viewName as View, node: null };
}
