import assert from 'node:assert/strict';
import { it } from 'node:test';
import { StepEvent } from '../../app/api/pipeline.ts';
import { Run } from '../../app/pipeline/rollout.ts';
import { en } from '../../renderer/src/lib/i18n/en.ts';
import { placeholders } from '../../renderer/src/lib/i18n/translate.ts';
import { FakeCluster, FakeFlatcar, fakeDeps, testOptions, virtualClock } from './pipeline-fakes.ts';

it('every step of an update carries a code and all the values its wording names, so the UI can word it in German', async () => {
  const clock = virtualClock();
  const cluster = new FakeCluster(clock);
  cluster.addNode('worker-1', '4230.2.4', 'worker-1-boot-0');
  cluster.addPod('worker-1', 'worker-1-web', 'ReplicaSet', { app: 'web' });
  const nodes = new Map([['worker-1', new FakeFlatcar('worker-1', { version: '4230.2.4', offered: '4459.2.1', ue: { file: 'masked', active: false } }, cluster, clock)]]);
  const { deps, events } = fakeDeps(cluster, nodes, clock);
  const state = await new Run(deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
  assert.equal(state.status, 'succeeded', JSON.stringify(state.error));

  const steps = events.flatMap((e) => (e.topic === 'step' ? [StepEvent.parse(e.payload)] : []));
  const uncoded = steps.filter((s) => (s.status === 'started' || s.status === 'succeeded') && s.code === null).map((s) => `${s.step} ${s.status}: ${s.message}`);
  assert.deepEqual(uncoded, [], 'every start and end of a step has a code');
  assert.ok(steps.some((s) => s.code === 'update.downloading'), 'the download progress has a code');

  const dict: Record<string, string> = en;
  for (const s of steps.filter((x) => x.code !== null)) {
    const key = `stepMsg.${s.code}`;
    const wording = dict[key] ?? dict[`${key}.other`];
    assert.ok(wording, `${key} has an English wording`);
    for (const name of placeholders(wording)) assert.ok(s.params[name] !== undefined && s.params[name] !== null, `${s.code} sends ${name} (${JSON.stringify(s.params)})`);
  }
  const ready = steps.find((s) => s.code === 'preflight.ready');
  assert.deepEqual(ready?.params, { node: 'worker-1', version: '4230.2.4', count: 1 }, 'one pod to move: the DaemonSet-free web pod');
});
