import { assert, test } from 'vitest';
import { formatRoute, parseRoute } from '../src/lib/route.ts';
import type { Route } from '../src/lib/route.ts';

test('every place in the app survives the address bar unchanged, odd names included', () => {
  const routes: Route[] = [
    { cluster: null, view: 'clusters', node: null },
    { cluster: null, view: 'settings', node: null },
    { cluster: 'demo', view: 'overview', node: null },
    { cluster: 'arn:aws:eks:eu-west-1:1234:cluster/prod', view: 'nodes', node: null },
    { cluster: 'demo', view: 'node', node: 'ip-10-0-1-23.eu-west-1.compute.internal' },
    { cluster: 'kind-x', view: 'auto-update', node: null },
  ];
  for (const route of routes) assert.deepEqual(parseRoute(formatRoute(route)), route, formatRoute(route));
  assert.strictEqual(formatRoute({ cluster: 'demo', view: 'node', node: 'worker-1' }), '#/c/demo/nodes/worker-1');
});

test('what is not a route is ignored: the one-time token, unknown views, broken escapes', () => {
  for (const hash of ['', '#', `#token=${'a'.repeat(64)}`, '#/nope', '#/c/demo/nope', '#/c/%E0%A4%A/nodes', '#/nodes/worker-1', '#/c/demo/overview/x']) {
    assert.strictEqual(parseRoute(hash), null, hash);
  }
});
