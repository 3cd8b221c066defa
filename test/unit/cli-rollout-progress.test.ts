import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RolloutNodeState, RolloutState } from '../../app/api/pipeline.ts';
import { progressLine } from '../../main/cli/commands/pipeline.ts';
import { formatDuration, parseDuration } from '../../main/cli/duration.ts';

const node = (name: string, phase: RolloutNodeState['phase']): RolloutNodeState => ({
  node: name, phase, step: null, fromVersion: null, toVersion: null, downloadProgress: null, startedAt: null, finishedAt: null,
  etaSeconds: null, error: null, attention: [], notes: [],
});

const run = (phases: RolloutNodeState['phase'][], etaSeconds: number | null): RolloutState => ({
  runId: 'r1', cluster: 'c1', kind: 'rollout', status: 'running', startedAt: '2026-12-04T22:00:00.000Z', finishedAt: null, etaSeconds,
  nodes: phases.map((p, i) => node(`worker-${i}`, p)), error: null, waitingFor: null, waiting: null,
});

describe('flatdeck rollout: the time left, as the text output says it', () => {
  it('says how many nodes are finished and the run\'s ETA once per finished node', () => {
    const first = progressLine(run(['done', 'active', 'active', 'waiting'], 750), 0);
    assert.match(first.line ?? '', /^\d\d:\d\d:\d\d 1 of 4 nodes finished, about 12m30s left$/);
    assert.equal(first.finished, 1);
    // the same count again (another step of a node still in its turn): nothing new to say
    assert.deepEqual(progressLine(run(['done', 'active', 'active', 'waiting'], 700), 1), { line: null, finished: 1 });
    // a failed node is finished too; no ETA measured yet is said plainly, never guessed
    assert.match(progressLine(run(['done', 'failed', 'active', 'waiting'], null), 1).line ?? '', / 2 of 4 nodes finished, time left not known yet$/);
  });

  it('leaves the last node to the run\'s own summary line', () => {
    assert.equal(progressLine(run(['done', 'done'], 0), 1).line, null);
  });

  it('writes durations in the notation the flags read', () => {
    assert.deepEqual([40, 750, 3600, 3900, 7170].map(formatDuration), ['40s', '12m30s', '1h00m', '1h05m', '2h00m']);
    for (const s of [40, 750, 3900]) assert.equal(parseDuration(formatDuration(s)), s);
  });
});
