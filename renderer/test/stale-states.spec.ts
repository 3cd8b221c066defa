import { assert, test } from 'vitest';
import { FleetModel, attentionReasons, updateState } from '../src/lib/model/fleet.ts';
import { downloadProgress, stagedVersionOf } from '../src/lib/model/table.ts';
import { live, node, rollout } from './fixtures.ts';

function model() {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a', { bootID: 'boot-1' })] });
  return m;
}

test('"Reboot needed" ends the moment the node reports a new boot ID, not at the next SSH read', () => {
  const m = model();
  m.applyLive(live('a', 'UPDATE_STATUS_UPDATED_NEED_REBOOT', '2026-12-04T10:00:00Z'));
  assert.equal(updateState(m.rows.get('a')!), 'need-reboot');
  assert.include(attentionReasons(m.rows.get('a')!), 'reboot-pending');
  m.applyNodes({ type: 'upsert', cluster: 'demo', node: node('a', { bootID: 'boot-2' }) });
  assert.equal(updateState(m.rows.get('a')!), 'unknown');
  assert.notInclude(attentionReasons(m.rows.get('a')!), 'reboot-pending');
  m.applyLive(live('a', 'UPDATE_STATUS_IDLE', '2026-12-04T10:02:00Z'));
  assert.equal(updateState(m.rows.get('a')!), 'idle');
});

test('no download bar on an idle node or after the run, and a full one while update_engine finalizes', () => {
  const m = model();
  m.applyRollout({ ...rollout('running', [['a', 'downloading']]), nodes: [{ ...rollout('running', [['a', 'downloading']]).nodes[0]!, downloadProgress: 0.99 }] });
  assert.equal(downloadProgress(m.rows.get('a')!), 0.99);
  m.applyRollout({ ...rollout('cancelled', [['a', 'skipped']]), nodes: [{ ...rollout('cancelled', [['a', 'skipped']]).nodes[0]!, downloadProgress: 0.99 }] });
  assert.equal(downloadProgress(m.rows.get('a')!), null);
  m.applyLive(live('a', 'UPDATE_STATUS_FINALIZING', '2026-12-04T10:00:00Z', 0, 458_234_665));
  assert.equal(downloadProgress(m.rows.get('a')!), 1);
  assert.equal(m.histories.get('a')?.samples.at(-1)?.progress, 1, 'FINALIZING is after the whole payload is written');
  m.applyLive(live('a', 'UPDATE_STATUS_IDLE', '2026-12-04T10:01:00Z'));
  assert.equal(downloadProgress(m.rows.get('a')!), null);
});

test('the Reboot stage lasts until the node is seen back, not the instant systemctl reboot took', async () => {
  const { progression } = await import('../src/lib/model/progression.ts');
  const { step } = await import('./fixtures.ts');
  const steps = [
    step('a', 'reboot', 'started', '2026-12-04T10:00:00.000Z'),
    step('a', 'reboot', 'succeeded', '2026-12-04T10:00:00.200Z', { durationMs: 200 }),
    step('a', 'verify', 'started', '2026-12-04T10:00:00.300Z'),
    step('a', 'verify', 'succeeded', '2026-12-04T10:00:41.000Z', { durationMs: 40_700 }),
  ];
  const stages = progression({ ops: [], steps }, null);
  assert.equal(stages.find((s) => s.key === 'reboot')?.durationMs, 41_000);
  assert.equal(stages.find((s) => s.key === 'verify')?.durationMs, 40_700);
});

test('an update the node staged on its own shows the version it boots next, until it has rebooted', () => {
  const m = model();
  m.applyLive(live('a', 'UPDATE_STATUS_DOWNLOADING', '2026-12-04T10:00:00Z', 0.5, 458_234_665));
  assert.equal(stagedVersionOf(m.rows.get('a')!), null, 'nothing staged while it downloads');
  m.applyLive(live('a', 'UPDATE_STATUS_UPDATED_NEED_REBOOT', '2026-12-04T10:01:00Z', 0, 458_234_665));
  assert.equal(stagedVersionOf(m.rows.get('a')!), '4152.2.1');
  m.applyNodes({ type: 'upsert', cluster: 'demo', node: node('a', { bootID: 'boot-2' }) });
  assert.equal(stagedVersionOf(m.rows.get('a')!), null, 'a reading from before the reboot no longer counts');
  // a daemon restarted before the reboot comes back in NEED_REBOOT without the version
  m.applyLive(live('a', 'UPDATE_STATUS_UPDATED_NEED_REBOOT', '2026-12-04T10:02:00Z'));
  assert.equal(stagedVersionOf(m.rows.get('a')!), null);
  m.applyNodes({ type: 'upsert', cluster: 'demo', node: node('a', { bootID: 'boot-2', stagedVersion: '4152.2.1' }) });
  assert.equal(stagedVersionOf(m.rows.get('a')!), '4152.2.1', "a run's record counts whatever update_engine says");
});
