import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ActivityEntry } from '../../app/api/activity.ts';
import { Run } from '../../app/pipeline/rollout.ts';
import { createService } from '../../app/service/index.ts';
import { pipelineActivity } from '../../app/service/pipeline-activity.ts';
import { FakeCluster, FakeFlatcar, fakeDeps, testOptions, virtualClock, type FakeNodeScript } from './pipeline-fakes.ts';

const root = mkdtempSync(join(tmpdir(), 'flatdeck-activity-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A real pipeline Run over the fakes whose events go through the service's recorder into its Activity log. */
async function runThroughService(script: Partial<FakeNodeScript>): Promise<ActivityEntry[]> {
  const service = createService({ kubeconfigPaths: [], dataDir: join(root, `d${n++}`), loginShellPath: false });
  try {
    const clock = virtualClock();
    const cluster = new FakeCluster(clock);
    cluster.addNode('worker-1', '4230.2.4', 'worker-1-boot-0');
    cluster.addPod('worker-1', 'worker-1-web', 'ReplicaSet', { app: 'web' });
    const nodes = new Map([['worker-1', new FakeFlatcar('worker-1', { version: '4230.2.4', offered: '4459.2.1', ue: { file: 'masked', active: false }, ...script }, cluster, clock)]]);
    const { deps, events } = fakeDeps(cluster, nodes, clock);
    const record = pipelineActivity(service.context.activity);
    await new Run({ ...deps, emit: (e) => (events.push(e), record(e)) }, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
    assert.ok(events.some((e) => e.topic === 'step' && e.payload.status === 'progress'), 'the run emitted progress ticks');
    return await service.call('activity.list', { limit: 1000 });
  } finally {
    await service.close();
  }
}

describe('pipeline events in the Activity log', () => {
  it('lists the run start, every step transition of the node (not the progress ticks) and the run end, with timestamps', async () => {
    const list = await runThroughService({});
    const pipeline = list.filter((e) => e.kind.startsWith('step-') || e.kind.startsWith('run-'));
    assert.equal(pipeline[0]?.kind, 'run-started');
    assert.match(pipeline[0]?.message ?? '', /Update of worker-1 started/);
    assert.equal(pipeline.at(-1)?.kind, 'run-succeeded');
    assert.equal(pipeline.filter((e) => e.kind === 'run-started').length, 1, 'a run starts once however many states it pushes');
    const steps = pipeline.filter((e) => e.kind.startsWith('step-'));
    assert.ok(steps.every((e) => e.cluster === 'test' && e.node === 'worker-1'), JSON.stringify(steps[0]));
    assert.ok(steps.every((e) => !Number.isNaN(Date.parse(e.at))), 'every entry has a timestamp');
    const succeeded = steps.filter((e) => e.kind === 'step-succeeded').map((e) => /^worker-1: (\w+) succeeded/.exec(e.message)?.[1]);
    assert.deepEqual(succeeded, ['preflight', 'update', 'lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon', 'settle', 'release']);
    assert.equal(steps.filter((e) => e.message.startsWith('worker-1: update ')).length, 2, 'update started + succeeded, no download ticks');
    assert.equal(steps.some((e) => e.kind === 'step-progress'), false);
  });

  it('records a failed step with its reason and the run ending failed', async () => {
    const list = await runThroughService({ updateFails: true });
    const failed = list.find((e) => e.kind === 'step-failed');
    assert.equal(failed?.node, 'worker-1');
    assert.match(failed?.message ?? '', /^worker-1: update failed .*journalctl -u update-engine/);
    const end = list.at(-1);
    assert.equal(end?.kind, 'run-failed');
    assert.equal(end?.cluster, 'test');
  });
});
