import assert from 'node:assert/strict';
import { it } from 'node:test';
import { markKeys } from '../../app/cluster/node-annotations.ts';
import { Run } from '../../app/pipeline/rollout.ts';
import { FakeCluster, FakeFlatcar, fakeDeps, testOptions, virtualClock } from './pipeline-fakes.ts';

it('re-checks the machine right before the reboot: another machine behind the address is not rebooted', async () => {
  const clock = virtualClock();
  const cluster = new FakeCluster(clock);
  cluster.addNode('worker-1', '4230.2.4', 'worker-1-boot-0');
  cluster.addPod('worker-1', 'worker-1-web', 'ReplicaSet', { app: 'web' });
  const node = new FakeFlatcar('worker-1', { version: '4230.2.4', offered: '4459.2.1', ue: { file: 'masked', active: false } }, cluster, clock);
  const w = fakeDeps(cluster, new Map([['worker-1', node]]), clock);
  // Pre-flight saw the right machine; during the drain the address starts leading to another one.
  cluster.evictAnswer = () => {
    node.bootIdNow = 'another-machine-boot';
    return 'ok';
  };
  const state = await new Run(w.deps, { kind: 'single', nodes: ['worker-1'], options: testOptions() }).done;
  assert.equal(state.error?.kind, 'reboot-failed');
  assert.match(state.error?.message ?? '', /boot ID another-machine-boot, but the Node reports worker-1-boot-0/);
  assert.equal(node.rebooted, 0);
  assert.equal(state.nodes[0]?.phase, 'needs-attention');
  assert.equal(cluster.unschedulable('worker-1'), true);
  assert.match(cluster.annotations('worker-1')[markKeys.attention] ?? '', /another-machine-boot/);
});
