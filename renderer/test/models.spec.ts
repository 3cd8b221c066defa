import { assert, test } from 'vitest';
import { VersionHistory, attentionCount, stateBreakdown, versionBreakdown } from '../src/lib/model/breakdown.ts';
import { downloadFigures } from '../src/lib/model/download.ts';
import { FleetModel, updateState } from '../src/lib/model/fleet.ts';
import { formatBytes, formatDuration } from '../src/lib/model/format.ts';
import { compareVersions, defaultFilter, tableRows } from '../src/lib/model/table.ts';
import { visibleRange } from '../src/lib/model/virtual.ts';
import { RolloutWatcher } from '../src/lib/notify.ts';
import { live, node, rollout, step } from './fixtures.ts';

const iso = (s: number) => new Date(Date.UTC(2026, 10, 26, 10, 0, s)).toISOString();

function fleet(): FleetModel {
  const m = new FleetModel('demo');
  m.applyNodes({
    type: 'snapshot',
    cluster: 'demo',
    nodes: [
      node('node-10'),
      node('node-2', { flatcarVersion: '4152.2.1' }),
      node('node-1', { channel: 'beta', flatcarVersion: '4152.1.0' }),
      node('cp-1', { roles: ['control-plane'] }),
      node('ubuntu-1', { distribution: 'ubuntu', flatcarVersion: null, channel: null, osImage: 'Ubuntu 22.04.4 LTS' }),
    ],
  });
  return m;
}

test('events for another cluster leave the model untouched', () => {
  const m = fleet();
  assert.strictEqual(m.applyNodes({ type: 'delete', cluster: 'other', name: 'node-1' }), false);
  assert.strictEqual(m.applyStep(step('node-1', 'drain', 'started', iso(0), { cluster: 'other' })), false);
  assert.strictEqual(m.rows.size, 5);
});

test('snapshot, upsert, delete and live events keep the row map current', () => {
  const m = fleet();
  m.applyNodes({ type: 'upsert', cluster: 'demo', node: node('node-1', { unschedulable: true }) });
  assert.strictEqual(m.rows.get('node-1')?.summary.unschedulable, true);
  m.applyNodes({ type: 'delete', cluster: 'demo', name: 'node-10' });
  assert.strictEqual(m.rows.has('node-10'), false);
  m.applyNodes({ type: 'live', cluster: 'demo', state: live('node-2', 'UPDATE_STATUS_DOWNLOADING', iso(1), 0.4, 100) });
  assert.strictEqual(updateState(m.rows.get('node-2')!), 'downloading');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('node-2')] });
  assert.deepEqual([...m.rows.keys()], ['node-2']);
  assert.strictEqual(m.rows.get('node-2')?.live?.updateEngine?.progress, 0.4, 'a snapshot keeps live state read over SSH');
});

test('the pipeline holding a node overrides update_engine, and a failed run needs attention', () => {
  const m = fleet();
  m.applyLive(live('node-1', 'UPDATE_STATUS_UPDATED_NEED_REBOOT', iso(0)));
  const run = rollout('running', [['node-1', 'active']]);
  m.applyRollout(run);
  assert.strictEqual(updateState(m.rows.get('node-1')!), 'in-pipeline');
  m.applyRollout(rollout('failed', [['node-1', 'failed']]));
  assert.strictEqual(updateState(m.rows.get('node-1')!), 'error');
  assert.strictEqual(attentionCount(m.rows.values()), 1);
});

test('a finished run does not mask a newer active run of the same node', () => {
  const m = fleet();
  m.applyRollout(rollout('running', [['node-1', 'active']], 'new'));
  m.applyRollout(rollout('succeeded', [['node-1', 'done']], 'old'));
  assert.strictEqual(m.rows.get('node-1')?.runId, 'new');
});

test('table: natural name order, numeric version order, filters combine', () => {
  const m = fleet();
  const names = (rows: ReturnType<typeof tableRows>) => rows.map((r) => r.name);
  assert.deepEqual(names(tableRows(m.rows.values(), defaultFilter, { key: 'name', dir: 'asc' })), ['cp-1', 'node-1', 'node-2', 'node-10', 'ubuntu-1']);
  const byOs = names(tableRows(m.rows.values(), defaultFilter, { key: 'os', dir: 'desc' }));
  assert.deepEqual(byOs.slice(0, 2), ['ubuntu-1', 'node-2']);
  assert.deepEqual(names(tableRows(m.rows.values(), { ...defaultFilter, channel: 'beta' }, { key: 'name', dir: 'asc' })), ['node-1']);
  assert.deepEqual(names(tableRows(m.rows.values(), { ...defaultFilter, role: 'control-plane' }, { key: 'name', dir: 'asc' })), ['cp-1']);
  assert.deepEqual(names(tableRows(m.rows.values(), { ...defaultFilter, text: 'NODE-1' }, { key: 'name', dir: 'asc' })), ['node-1', 'node-10']);
  m.applyLive({ node: 'ubuntu-1', at: '2026-11-26T10:00:00.000Z', updateEngine: null, updateEngineUnit: null, versionId: null, rebootRequired: { required: true, packages: ['linux-base'] }, error: null });
  assert.deepEqual(names(tableRows(m.rows.values(), { ...defaultFilter, state: 'need-reboot' }, { key: 'name', dir: 'asc' })), ['ubuntu-1']);
  assert.deepEqual(names(tableRows(m.rows.values(), { ...defaultFilter, state: 'not-flatcar' }, { key: 'name', dir: 'asc' })), [], 'an Ubuntu node has a state of its own');
  assert.ok(compareVersions('4230.2.10', '4230.2.9') > 0);
  assert.ok(compareVersions(null, '1.0.0') < 0);
});

test('table sorts 5,000 rows quickly enough to re-sort on every pushed change', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: Array.from({ length: 5000 }, (_, i) => node(`node-${i}`, { flatcarVersion: `4081.2.${i % 7}` })) });
  const t0 = performance.now();
  const rows = tableRows(m.rows.values(), defaultFilter, { key: 'os', dir: 'asc' });
  const ms = performance.now() - t0;
  assert.strictEqual(rows.length, 5000);
  console.log(`sorted 5000 rows by version in ${ms.toFixed(1)} ms`);
});

test('breakdowns count versions per version+channel and states per category', () => {
  const m = fleet();
  const versions = versionBreakdown(m.rows.values());
  assert.deepEqual(
    versions.map((v) => [v.key, v.count]),
    [
      ['4152.2.1 · stable', 1],
      ['4152.1.0 · beta', 1],
      ['4081.2.0 · stable', 2],
      ['ubuntu', 1],
    ],
  );
  const states = stateBreakdown(m.rows.values());
  // the Ubuntu node too, until its /var/run/reboot-required is read
  assert.strictEqual(states.unknown, 5);
  assert.strictEqual(states['not-flatcar'], 0);
});

test('version history records one sample per change', () => {
  const h = new VersionHistory();
  const m = fleet();
  assert.strictEqual(h.record(1, versionBreakdown(m.rows.values())), true);
  assert.strictEqual(h.record(2, versionBreakdown(m.rows.values())), false);
  m.applyNodes({ type: 'upsert', cluster: 'demo', node: node('node-10', { flatcarVersion: '4152.2.1' }) });
  assert.strictEqual(h.record(3, versionBreakdown(m.rows.values())), true);
  assert.strictEqual(h.samples.length, 2);
  assert.strictEqual(h.samples[1]?.versions['4152.2.1 · stable'], 2);
});

test('download figures: bytes of NEW_SIZE, rate over the recent window, ETA', () => {
  const f = downloadFigures([
    { atMs: 0, progress: 0.1, newSize: 1_000_000 },
    { atMs: 2000, progress: 0.3, newSize: 1_000_000 },
    { atMs: 4000, progress: 0.5, newSize: 1_000_000 },
  ]);
  assert.strictEqual(f?.bytesDone, 500_000);
  assert.strictEqual(f?.bytesTotal, 1_000_000);
  assert.strictEqual(f?.rate, 100_000);
  assert.strictEqual(f?.etaSeconds, 5);
  assert.strictEqual(downloadFigures([{ atMs: 0, progress: 0.2, newSize: 10 }])?.rate, null);
  const unsized = downloadFigures([
    { atMs: 0, progress: 0.2, newSize: 0 },
    { atMs: 1000, progress: 0.3, newSize: 0 },
  ]);
  assert.strictEqual(unsized?.rate, null, 'no byte rate without NEW_SIZE');
  assert.ok(Math.abs((unsized?.etaSeconds ?? 0) - 7) < 1e-9, 'the ETA still follows the progress');
  assert.strictEqual(downloadFigures([]), null);
});

test('virtual range renders only rows near the viewport, with spacers for the rest', () => {
  const r = visibleRange(36 * 1000, 720, 36, 5000, 5);
  assert.deepEqual([r.start, r.end], [995, 1025]);
  assert.strictEqual(r.padTop, 995 * 36);
  assert.strictEqual(r.padBottom, (5000 - 1025) * 36);
  assert.deepEqual(visibleRange(0, 720, 36, 3), { start: 0, end: 3, padTop: 0, padBottom: 0 });
});

test('rollout watcher reports each run end exactly once', () => {
  const w = new RolloutWatcher();
  assert.strictEqual(w.observe(rollout('running', [])), null);
  assert.strictEqual(w.observe(rollout('succeeded', [])), 'succeeded');
  assert.strictEqual(w.observe(rollout('succeeded', [])), null);
  assert.strictEqual(w.observe(rollout('failed', [], 'seen-only-at-end')), null, 'a run first seen finished is history, not news');
  assert.strictEqual(w.observe(rollout('running', [], 'b')), null);
  assert.strictEqual(w.observe(rollout('failed', [], 'b')), 'failed');
});

test('formatting', () => {
  assert.strictEqual(formatBytes(1536, 'en-GB'), '1.5 KiB');
  assert.strictEqual(formatBytes(1536, 'de-DE'), '1,5 KiB');
  assert.strictEqual(formatDuration(200), '3 min 20 s');
  assert.strictEqual(formatDuration(3900), '1 h 05 min');
});

test('changes replace a row object instead of mutating it, so keyed UI lists re-render', () => {
  const m = fleet();
  const before = m.rows.get('node-1');
  m.applyLive(live('node-1', 'UPDATE_STATUS_IDLE', iso(0)));
  const after = m.rows.get('node-1');
  assert.notStrictEqual(after, before);
  assert.strictEqual(before?.live, null, 'the old object is untouched');
  assert.strictEqual(after?.live?.updateEngine?.currentOp, 'UPDATE_STATUS_IDLE');
});
