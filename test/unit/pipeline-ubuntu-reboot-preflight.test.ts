import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { preflight, preflightRules } from '../../app/pipeline/preflight.ts';
import { FakeCluster, FakeFlatcar, testOptions, virtualClock } from './pipeline-fakes.ts';

function world(osImage: string | null) {
  const clock = virtualClock();
  const cluster = new FakeCluster(clock);
  const node = cluster.addNode('worker-6', '22.04', 'worker-6-boot-0');
  if (osImage !== null && node.status?.nodeInfo) node.status.nodeInfo.osImage = osImage;
  cluster.addPod('worker-6', 'web');
  const fc = new FakeFlatcar('worker-6', { version: '22.04', offered: null, ue: { file: 'masked', active: false } }, cluster, clock);
  return { clock, cluster, fc };
}

describe('pre-flight of an Ubuntu node\'s reboot', () => {
  it('passes an Ubuntu node without asking about update_engine or locksmithd, and plans its drain', async () => {
    const { clock, cluster, fc } = world('Ubuntu 22.04.5 LTS');
    const facts = await preflight('test', 'worker-6', cluster, fc, testOptions(), new Date(clock.nowMs()), null, 'reboot');
    assert.equal(facts.report.ok, true, JSON.stringify(facts.report.blockers));
    assert.deepEqual(facts.checks.map((c) => c.rule), preflightRules.map(([name]) => name).filter((r) => r !== 'locksmithd-will-not-reboot' && r !== 'update-server-reachable'));
    const said = facts.checks.map((c) => (c.verdict.ok ? c.verdict.reason : ''));
    assert.ok(said.includes('runs Ubuntu 22.04.5 LTS'), said.join('\n'));
    assert.ok(said.includes('SSH and passwordless sudo work (Ubuntu 22.04)'), said.join('\n'));
    assert.equal(facts.report.updateEngineUnit, null, 'update-engine is not read on Ubuntu');
    assert.deepEqual(facts.report.pods.map((p) => `${p.name}:${p.action}`), ['web:evict']);
    assert.deepEqual(cluster.patches, [], 'pre-flight changes nothing');
  });

  it('blocks a Flatcar node: it reboots through update or rollback', async () => {
    const { clock, cluster, fc } = world(null);
    const facts = await preflight('test', 'worker-6', cluster, fc, testOptions(), new Date(clock.nowMs()), null, 'reboot');
    assert.equal(facts.report.ok, false);
    assert.match(facts.report.blockers[0]?.message ?? '', /^Node worker-6 is not an Ubuntu node \(Flatcar Container Linux by Kinvolk 22\.04\): Flatcar nodes reboot through update or rollback$/);
  });

  it('an update still blocks the Ubuntu node', async () => {
    const { clock, cluster, fc } = world('Ubuntu 22.04.5 LTS');
    const facts = await preflight('test', 'worker-6', cluster, fc, testOptions(), new Date(clock.nowMs()), null);
    assert.equal(facts.report.ok, false);
    assert.match(facts.report.blockers[0]?.message ?? '', /does not run Flatcar Container Linux \(Ubuntu 22\.04\.5 LTS\)/);
  });
});
