import { assert, test } from 'vitest';
import type { ReleaseInfo } from '../../app/api/index.ts';
import { attentionReasons, channelOf, FleetModel, updateState } from '../src/lib/model/fleet.ts';
import { availableFor, channelCurrency, currency, waitingFor } from '../src/lib/model/releases.ts';
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

test("a node's channel is the GROUP update_engine asks for (read over SSH), not its running release's channel", () => {
  const model = new FleetModel('demo');
  model.applyNodes({
    type: 'snapshot',
    cluster: 'demo',
    nodes: [node('moved', { flatcarVersion: '4757.2.9' }), node('lts', { flatcarVersion: '4757.2.10' }), node('unread', { flatcarVersion: '4757.2.9' })],
  });
  const read = (name: string, group: string) => model.applyLive({ node: name, at: '2026-12-04T10:00:00.000Z', updateEngine: null, updateEngineUnit: 'masked', versionId: null, group, error: null });
  read('moved', 'beta');
  read('lts', 'lts');
  const withLts: ReleaseInfo = { ...releases, channels: [...releases.channels, { channel: 'lts', version: '4081.3.6', releaseDate: null, source: 'feed' }] };
  const rows = Object.fromEntries([...model.rows.values()].map((r) => [r.name, r]));
  assert.deepEqual(
    Object.values(rows).map((r) => [r.name, channelOf(r), availableFor(r, withLts)?.version ?? null, currency(r, withLts), waitingFor(r, withLts)?.version ?? null]),
    [
      // moved to beta: beta's newest is newer, so the next update takes it there
      ['moved', 'beta', '4803.1.0', 'behind', null],
      // moved to lts: its newest is older than what the node runs, so the node stays until lts catches up
      ['lts', 'lts', '4081.3.6', 'current', '4081.3.6'],
      ['unread', 'stable', '4757.2.10', 'behind', null],
    ],
  );
  assert.deepEqual(
    tableRows([...model.rows.values()], { ...defaultFilter, channel: 'beta' }, { key: 'name', dir: 'asc' }, withLts).map((r) => r.name),
    ['moved'],
  );
  assert.deepEqual(channelCurrency(model.rows.values(), withLts).map((c) => [c.channel, c.nodes, c.behind]), [['stable', 1, 1], ['beta', 1, 1], ['lts', 1, 0]]);
});

test("an Ubuntu node's state is its reboot-required sentinel: Reboot needed (and needing attention) or Idle, never 'Not Flatcar'", () => {
  const model = new FleetModel('demo');
  model.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('u', { distribution: 'ubuntu', osImage: 'Ubuntu 22.04.5 LTS', flatcarVersion: null, channel: null })] });
  const row = () => model.rows.get('u')!;
  assert.equal(updateState(row()), 'unknown');
  const at = '2026-12-04T10:00:00.000Z';
  const base = { node: 'u', at, updateEngine: null, updateEngineUnit: null, versionId: null };
  model.applyLive({ ...base, rebootRequired: { required: true, packages: ['linux-base'] }, error: null });
  assert.equal(updateState(row()), 'need-reboot');
  assert.deepEqual(attentionReasons(row()), ['reboot-pending']);
  model.applyLive({ ...base, rebootRequired: { required: false, packages: [] }, error: null });
  assert.equal(updateState(row()), 'idle');
  assert.deepEqual(attentionReasons(row()), []);
  model.applyLive({ ...base, rebootRequired: null, error: 'ssh: connect refused' });
  assert.equal(updateState(row()), 'unreachable');
  model.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('o', { distribution: 'other', osImage: 'Rocky Linux 9', flatcarVersion: null, channel: null })] });
  assert.equal(updateState(model.rows.get('o')!), 'not-flatcar');
});
