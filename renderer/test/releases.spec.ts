import { assert, test } from 'vitest';
import type { ReleaseInfo } from '../../app/api/index.ts';
import { FleetModel } from '../src/lib/model/fleet.ts';
import { channelCurrency, currency } from '../src/lib/model/releases.ts';
import { defaultFilter, tableRows } from '../src/lib/model/table.ts';
import { node } from './fixtures.ts';

const releases: ReleaseInfo = {
  cluster: 'demo',
  feedUrl: 'http://127.0.0.1:1/releases-json/',
  fetchedAt: '2026-12-04T10:00:00.000Z',
  error: null,
  channels: [
    { channel: 'stable', version: '4757.2.10', releaseDate: null, source: 'feed' },
    { channel: 'beta', version: '4803.1.0', releaseDate: null, source: 'feed' },
  ],
};

function fleet() {
  const model = new FleetModel('demo');
  model.applyNodes({
    type: 'snapshot',
    cluster: 'demo',
    nodes: [
      node('a', { flatcarVersion: '4757.2.9' }),
      node('b', { flatcarVersion: '4757.2.10' }),
      node('c', { flatcarVersion: '4628.1.2', channel: 'beta' }),
      node('d', { flatcarVersion: '4081.3.1', channel: 'lts' }),
      node('e', { distribution: 'ubuntu', flatcarVersion: null, channel: null }),
    ],
  });
  return [...model.rows.values()];
}

test('a node is behind when its channel has a newer release (compared as numbers, not text)', () => {
  const byName = Object.fromEntries(fleet().map((r) => [r.name, currency(r, releases)]));
  assert.deepEqual(byName, { a: 'behind', b: 'current', c: 'behind', d: 'unknown', e: 'unknown' });
});

test('the overview counts behind nodes per channel, stable first', () => {
  assert.deepEqual(
    channelCurrency(fleet(), releases).map((c) => [c.channel, c.nodes, c.behind, c.newest?.version ?? null]),
    [
      ['stable', 2, 1, '4757.2.10'],
      ['beta', 1, 1, '4803.1.0'],
      ['lts', 1, 0, null],
    ],
  );
});

test('"behind only" keeps the behind nodes, and sorting by Behind puts them first', () => {
  assert.deepEqual(
    tableRows(fleet(), { ...defaultFilter, behindOnly: true }, { key: 'name', dir: 'asc' }, releases).map((r) => r.name),
    ['a', 'c'],
  );
  assert.deepEqual(
    tableRows(fleet(), defaultFilter, { key: 'behind', dir: 'asc' }, releases).map((r) => r.name),
    ['a', 'c', 'b', 'd', 'e'],
  );
});

test('a node that comes to need attention is announced once per run', async () => {
  const { RolloutWatcher } = await import('../src/lib/notify.ts');
  const { rollout } = await import('./fixtures.ts');
  const w = new RolloutWatcher();
  assert.deepEqual(w.needingAttention(rollout('running', [['a', 'active'], ['b', 'waiting']])), []);
  assert.deepEqual(
    w.needingAttention(rollout('running', [['a', 'needs-attention'], ['b', 'waiting']])).map((n) => n.node),
    ['a'],
  );
  assert.deepEqual(w.needingAttention(rollout('failed', [['a', 'needs-attention'], ['b', 'failed']])).map((n) => n.node), ['b']);
  assert.deepEqual(w.needingAttention(rollout('running', [['a', 'failed']], 'run-2')).map((n) => n.node), ['a'], 'a new run announces again');
});

test('a run counts each node once by its outcome, and a cancel says what it does to each node', async () => {
  const { cancelEffect, runCounts, reasonOf } = await import('../src/lib/model/run.ts');
  const { rollout } = await import('./fixtures.ts');
  const run = rollout('running', [
    ['a', 'done'],
    ['b', 'current'],
    ['c', 'skipped'],
    ['d', 'needs-attention'],
    ['e', 'downloading'],
    ['f', 'waiting'],
    ['g', 'ready-to-reboot'],
  ]);
  assert.deepEqual(runCounts(run), { updated: 1, current: 1, skipped: 1, failed: 0, attention: 1, open: 3 });
  assert.deepEqual(
    run.nodes.map((n) => cancelEffect(n)),
    ['unchanged-done', 'unchanged-done', 'unchanged', 'unchanged', 'download-stops', 'not-started', 'keeps-staged'],
  );
  const rebooting = { ...run.nodes[0]!, phase: 'active' as const, step: 'reboot' as const };
  const draining = { ...run.nodes[0]!, phase: 'active' as const, step: 'drain' as const };
  assert.equal(cancelEffect(rebooting), 'stays-cordoned');
  assert.equal(cancelEffect(draining), 'put-back');
  const words = { error: (e: { message: string }) => `E:${e.message}`, note: (x: { message: string }) => `N:${x.message}` };
  const skipped = { ...run.nodes[2]!, error: { kind: 'cancelled' as const, message: 'The run was cancelled before this node', facts: {} } };
  assert.equal(reasonOf(skipped, words), 'E:The run was cancelled before this node');
  const staged = { ...run.nodes[3]!, notes: [{ code: 'staged.stopped' as const, params: {}, message: 'boots 2 at its next reboot' }] };
  assert.equal(reasonOf(staged, words), 'N:boots 2 at its next reboot', 'a needs-attention node says what it needs');
  assert.equal(reasonOf(run.nodes[0]!, words), null, 'an updated node has no reason');
});
