import { assert, test } from 'vitest';
import { downloadFigures } from '../src/lib/model/download.ts';
import { FleetModel } from '../src/lib/model/fleet.ts';
import { progression } from '../src/lib/model/progression.ts';
import { live, node, step } from './fixtures.ts';

const at = (s: number) => new Date(Date.UTC(2026, 10, 26, 10, 0, s)).toISOString();

function statuses(model: FleetModel, name: string, currentOp: Parameters<typeof progression>[1]) {
  const stages = progression(model.history(name), currentOp);
  return Object.fromEntries(stages.map((s) => [s.key, s.status]));
}

test('an idle node with no run shows IDLE as its current state and nothing else reached', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  m.applyLive(live('a', 'UPDATE_STATUS_IDLE', at(0)));
  const s = statuses(m, 'a', 'UPDATE_STATUS_IDLE');
  assert.strictEqual(s.UPDATE_STATUS_IDLE, 'active');
  assert.strictEqual(s.UPDATE_STATUS_DOWNLOADING, 'pending');
  assert.strictEqual(s.cordon, 'pending');
});

test('downloading: earlier update_engine states are done with their first-seen times and durations', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  m.applyLive(live('a', 'UPDATE_STATUS_IDLE', at(0)));
  m.applyStep(step('a', 'update', 'started', at(1)));
  m.applyLive(live('a', 'UPDATE_STATUS_CHECKING_FOR_UPDATE', at(2)));
  m.applyLive(live('a', 'UPDATE_STATUS_UPDATE_AVAILABLE', at(4), 0, 1000));
  m.applyLive(live('a', 'UPDATE_STATUS_DOWNLOADING', at(5), 0.2, 1000));
  m.applyLive(live('a', 'UPDATE_STATUS_DOWNLOADING', at(7), 0.5, 1000));
  const stages = progression(m.history('a'), 'UPDATE_STATUS_DOWNLOADING');
  const byKey = Object.fromEntries(stages.map((s) => [s.key, s]));
  assert.strictEqual(byKey.UPDATE_STATUS_CHECKING_FOR_UPDATE?.status, 'done');
  assert.strictEqual(byKey.UPDATE_STATUS_CHECKING_FOR_UPDATE?.at, at(2));
  assert.strictEqual(byKey.UPDATE_STATUS_CHECKING_FOR_UPDATE?.durationMs, 2000);
  assert.strictEqual(byKey.UPDATE_STATUS_UPDATE_AVAILABLE?.status, 'done');
  assert.strictEqual(byKey.UPDATE_STATUS_DOWNLOADING?.status, 'active');
  assert.strictEqual(byKey.UPDATE_STATUS_DOWNLOADING?.at, at(5), 'first seen, not the latest re-notify');
  assert.strictEqual(byKey.UPDATE_STATUS_FINALIZING?.status, 'pending');
  // The repeated DOWNLOADING reading is one transition, but both feed the download bar.
  assert.strictEqual(m.history('a').ops.length, 4);
  assert.strictEqual(m.history('a').samples.length, 2);
});

test('a full run ends with every stage done, in order, and drain reports n of m pods', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  m.applyStep(step('a', 'update', 'started', at(0)));
  let t = 1;
  for (const op of ['UPDATE_STATUS_CHECKING_FOR_UPDATE', 'UPDATE_STATUS_UPDATE_AVAILABLE', 'UPDATE_STATUS_DOWNLOADING', 'UPDATE_STATUS_FINALIZING', 'UPDATE_STATUS_UPDATED_NEED_REBOOT'] as const) {
    m.applyLive(live('a', op, at(t++)));
  }
  m.applyStep(step('a', 'update', 'succeeded', at(t++)));
  for (const s of ['cordon', 'drain', 'reboot'] as const) {
    m.applyStep(step('a', s, 'started', at(t++)));
    if (s === 'drain') {
      for (const pod of ['web-1', 'web-2', 'db-0']) m.applyStep(step('a', 'drain', 'progress', at(t++), { detail: { pod, event: 'evicting' } }));
      for (const pod of ['web-1', 'web-2', 'db-0']) m.applyStep(step('a', 'drain', 'progress', at(t++), { detail: { pod, event: 'gone' } }));
    }
    m.applyStep(step('a', s, 'succeeded', at(t++)));
  }
  // After the reboot update_engine starts over at IDLE: the stepper must keep what it saw.
  m.applyLive(live('a', 'UPDATE_STATUS_IDLE', at(t++)));
  m.applyStep(step('a', 'verify', 'started', at(t++)));
  m.applyStep(step('a', 'verify', 'progress', at(t++), { detail: { bootId: 'boot-2', version: '4152.2.1' } }));
  m.applyStep(step('a', 'verify', 'succeeded', at(t++)));
  m.applyStep(step('a', 'uncordon', 'started', at(t++)));
  m.applyStep(step('a', 'uncordon', 'succeeded', at(t++), { durationMs: 150 }));
  const stages = progression(m.history('a'), 'UPDATE_STATUS_IDLE');
  assert.deepEqual(
    stages.map((s) => s.status),
    stages.map(() => 'done'),
  );
  const drain = stages.find((s) => s.key === 'drain');
  assert.deepEqual([drain?.detail.podsDone, drain?.detail.podsTotal, drain?.detail.blocker], [3, 3, null]);
  assert.strictEqual(stages.find((s) => s.key === 'verify')?.detail.version, '4152.2.1');
  assert.strictEqual(stages.find((s) => s.key === 'uncordon')?.durationMs, 150);
  const times = stages.filter((s) => s.key !== 'UPDATE_STATUS_IDLE').map((s) => Date.parse(s.at ?? ''));
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'stage times ascend');
});

test('a drain blocked by a PDB shows drain failed and later stages pending', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  m.applyStep(step('a', 'update', 'succeeded', at(0)));
  m.applyStep(step('a', 'cordon', 'succeeded', at(1)));
  m.applyStep(step('a', 'drain', 'started', at(2)));
  m.applyStep(step('a', 'drain', 'progress', at(2), { detail: { pod: 'default/web-1', event: 'evicting' } }));
  m.applyStep(step('a', 'drain', 'progress', at(2), { detail: { pod: 'default/web-1', event: 'blocked', pdb: 'web-pdb' } }));
  m.applyStep(
    step('a', 'drain', 'failed', at(3), {
      detail: { pdb: 'web-pdb' },
      error: { kind: 'drain-blocked', message: 'PDB web-pdb allows 0 disruptions', facts: { pdb: 'web-pdb', pod: 'web-1' } },
    }),
  );
  const stages = progression(m.history('a'), 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
  const drain = stages.find((s) => s.key === 'drain');
  assert.strictEqual(drain?.status, 'failed');
  assert.strictEqual(drain?.message, 'PDB web-pdb allows 0 disruptions');
  assert.deepEqual([drain?.detail.podsDone, drain?.detail.podsTotal, drain?.detail.blocker], [0, 1, 'web-pdb (default/web-1)']);
  assert.strictEqual(stages.find((s) => s.key === 'reboot')?.status, 'pending');
  assert.strictEqual(stages.find((s) => s.key === 'UPDATE_STATUS_UPDATED_NEED_REBOOT')?.status, 'done');
});

test('REPORTING_ERROR_EVENT marks the update_engine stage it happened in as failed', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  m.applyStep(step('a', 'update', 'started', at(0)));
  m.applyLive(live('a', 'UPDATE_STATUS_DOWNLOADING', at(1), 0.3, 100));
  m.applyLive(live('a', 'UPDATE_STATUS_REPORTING_ERROR_EVENT', at(2)));
  const s = statuses(m, 'a', 'UPDATE_STATUS_REPORTING_ERROR_EVENT');
  assert.strictEqual(s.UPDATE_STATUS_DOWNLOADING, 'failed');
  assert.strictEqual(s.UPDATE_STATUS_FINALIZING, 'pending');
});

test('a new run starts a fresh history but keeps the terminal lines', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  m.applyStep(step('a', 'cordon', 'succeeded', at(0)));
  m.applyCommand({ runId: 'run-1', cluster: 'demo', node: 'a', commandId: 'c1', command: 'sudo systemctl reboot', stream: 'command', data: '', at: at(1) });
  m.applyStep(step('a', 'preflight', 'started', at(5), { runId: 'run-2' }));
  assert.strictEqual(m.history('a').runId, 'run-2');
  assert.strictEqual(m.history('a').steps.length, 1);
  assert.strictEqual(m.history('a').commands.length, 1);
  assert.strictEqual(statuses(m, 'a', 'UPDATE_STATUS_IDLE').cordon, 'pending');
});

test('update step progress events drive the stepper and the table when no live read arrives', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  m.applyStep(step('a', 'update', 'started', at(0)));
  m.applyStep(step('a', 'update', 'progress', at(1), { detail: { op: 'UPDATE_STATUS_CHECKING_FOR_UPDATE', progress: 0, newVersion: '0.0.0' } }));
  m.applyStep(step('a', 'update', 'progress', at(2), { detail: { op: 'UPDATE_STATUS_DOWNLOADING', progress: 0.25, newVersion: '4152.2.1' } }));
  m.applyStep(step('a', 'update', 'progress', at(3), { detail: { op: 'UPDATE_STATUS_DOWNLOADING', progress: 0.5, newVersion: '4152.2.1' } }));
  const row = m.rows.get('a');
  assert.strictEqual(row?.live?.updateEngine?.currentOp, 'UPDATE_STATUS_DOWNLOADING');
  assert.strictEqual(row?.live?.updateEngine?.progress, 0.5);
  assert.strictEqual(row?.live?.updateEngine?.newVersion, '4152.2.1');
  const s = statuses(m, 'a', row?.live?.updateEngine?.currentOp ?? null);
  assert.strictEqual(s.UPDATE_STATUS_CHECKING_FOR_UPDATE, 'done');
  assert.strictEqual(s.UPDATE_STATUS_DOWNLOADING, 'active');
  assert.deepEqual(m.history('a').samples.map((x) => x.progress), [0.25, 0.5]);
});

test('update step progress events carrying NEW_SIZE give the download bar bytes, rate and ETA', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  const size = 458_000_000;
  m.applyStep(step('a', 'update', 'progress', at(0), { detail: { op: 'UPDATE_STATUS_DOWNLOADING', progress: 0.1, newVersion: '4152.2.1', newSize: size } }));
  m.applyStep(step('a', 'update', 'progress', at(4), { detail: { op: 'UPDATE_STATUS_DOWNLOADING', progress: 0.3, newVersion: '4152.2.1', newSize: size } }));
  assert.strictEqual(m.rows.get('a')?.live?.updateEngine?.newSize, size);
  const f = downloadFigures(m.history('a').samples);
  assert.strictEqual(f?.bytesTotal, size);
  assert.strictEqual(f?.bytesDone, 137_400_000);
  assert.ok(Math.abs((f?.rate ?? 0) - 22_900_000) < 1e-3, `rate ${f?.rate}`);
  assert.ok(Math.abs((f?.etaSeconds ?? 0) - 14) < 1e-9, `eta ${f?.etaSeconds}`);
});

test('a rollback runs no update_engine: its stages show as skipped, the pipeline stages as they happened', () => {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  m.applyStep(step('a', 'update', 'started', at(0), { code: 'rollback.reading' }));
  m.applyStep(step('a', 'update', 'succeeded', at(1), { code: 'rollback.prioritized' }));
  m.applyStep(step('a', 'cordon', 'succeeded', at(2)));
  m.applyStep(step('a', 'drain', 'started', at(3)));
  const stages = progression(m.history('a'), 'UPDATE_STATUS_IDLE');
  assert.deepEqual(
    stages.map((s) => `${s.key}:${s.status}`),
    [
      'UPDATE_STATUS_IDLE:skipped',
      'UPDATE_STATUS_CHECKING_FOR_UPDATE:skipped',
      'UPDATE_STATUS_UPDATE_AVAILABLE:skipped',
      'UPDATE_STATUS_DOWNLOADING:skipped',
      'UPDATE_STATUS_FINALIZING:skipped',
      'UPDATE_STATUS_UPDATED_NEED_REBOOT:skipped',
      'cordon:done',
      'drain:active',
      'reboot:pending',
      'verify:pending',
      'uncordon:pending',
    ],
  );
});
