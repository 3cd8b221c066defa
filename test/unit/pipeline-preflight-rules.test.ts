import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { fluoKeys, markKeys } from '../../app/cluster/node-annotations.ts';
import { preflight, preflightRules, type Observed, type RuleVerdict } from '../../app/pipeline/preflight.ts';
import { FakeCluster, FakeFlatcar, testOptions, virtualClock } from './pipeline-fakes.ts';

function node(extra: { osImage?: string; bootID?: string; annotations?: Record<string, string>; labels?: Record<string, string> } = {}): V1Node {
  return {
    metadata: { name: 'worker-1', annotations: extra.annotations ?? {}, labels: extra.labels ?? {} },
    status: { nodeInfo: { osImage: extra.osImage ?? 'Flatcar Container Linux by Kinvolk 4230.2.4 (Oklo)', bootID: extra.bootID ?? 'boot-0' } as never },
  };
}

function observed(o: Partial<Observed> = {}): Observed {
  return {
    nodeName: 'worker-1',
    runId: 'run-now',
    node: node(),
    ssh: { sudoOk: true, versionId: '4230.2.4', bootId: 'boot-0', updateEngine: { file: 'masked', active: false }, locksmithd: { file: 'masked', active: false }, etcUpdateConf: '', error: null },
    drain: { pods: [], toRemove: [], blockers: [] },
    ...o,
  };
}

const judge = (rule: string, o: Observed): RuleVerdict => {
  const found = preflightRules.find(([name]) => name === rule);
  assert.ok(found, `rule ${rule} exists`);
  return found[1](o);
};

const blockerOf = (v: RuleVerdict) => {
  assert.equal(v.ok, false, 'the rule objects');
  return v.ok ? undefined : v.blockers[0];
};

describe('pre-flight rules, each with a reason an operator can read', () => {
  it('a healthy Flatcar node passes every rule, and each says what it found', () => {
    for (const [name, rule] of preflightRules) {
      const v = rule(observed());
      assert.equal(v.ok, true, `${name} passes`);
      assert.ok(v.ok && v.reason.length > 10, `${name} explains itself`);
    }
  });

  it('refuses a node that does not run Flatcar, naming the OS it runs', () => {
    const b = blockerOf(judge('runs-flatcar', observed({ node: node({ osImage: 'Ubuntu 24.04.1 LTS' }) })));
    assert.equal(b?.kind, 'not-flatcar');
    assert.equal(b?.severity, 'error');
    assert.match(b?.message ?? '', /does not run Flatcar Container Linux \(Ubuntu 24\.04\.1 LTS\)/);
  });

  it('warns (and waits) while another flatdeck run holds the node, but not for its own run or a node needing attention', () => {
    const busy = { [markKeys.instance]: 'ops@laptop#2', [markKeys.run]: 'run-other', [markKeys.step]: 'drain', [markKeys.since]: '2026-11-26T12:00:00Z' };
    const b = blockerOf(judge('no-other-flatdeck-run', observed({ node: node({ annotations: busy }) })));
    assert.equal(b?.kind, 'flatdeck-busy');
    assert.equal(b?.severity, 'warning');
    assert.match(b?.message ?? '', /run run-other by ops@laptop#2 \(step drain/);
    assert.equal(judge('no-other-flatdeck-run', observed({ runId: 'run-other', node: node({ annotations: busy }) })).ok, true);
  });

  it('warns while FLUO reboots the node', () => {
    const b = blockerOf(judge('fluo-not-working', observed({ node: node({ annotations: { [fluoKeys.rebootInProgress]: 'true' } }) })));
    assert.equal(b?.kind, 'fluo-busy');
    assert.match(b?.message ?? '', /FLUO is working on node worker-1 \(reboot-in-progress\)/);
  });

  it('tells a sudo password prompt from an SSH failure', () => {
    const sudo = blockerOf(judge('ssh-and-sudo', observed({ ssh: { ...observed().ssh, error: { kind: 'sudo-password-required', message: 'sudo: a password is required', facts: {} } } })));
    assert.equal(sudo?.code, 'sudoPassword', 'worded in the UI from a code');
    assert.equal(sudo?.kind, 'sudo');
    assert.match(sudo?.message ?? '', /passwordless sudo \(sudo -n\)/);
    const ssh = blockerOf(judge('ssh-and-sudo', observed({ ssh: { ...observed().ssh, error: { kind: 'host-key-changed', message: 'the host key of 10.0.0.5 changed', facts: {} } } })));
    assert.equal(ssh?.kind, 'ssh');
    assert.match(ssh?.message ?? '', /SSH to worker-1 failed: the host key of 10\.0\.0\.5 changed/);
  });

  it('refuses when SSH reaches a machine with another boot ID than the Node', () => {
    const b = blockerOf(judge('ssh-reaches-this-node', observed({ ssh: { ...observed().ssh, bootId: 'boot-of-another-machine' } })));
    assert.equal(b?.kind, 'ssh');
    assert.match(b?.message ?? '', /SSH address points at another machine/);
  });

  it('says what it found of locksmithd and that a running one is held for the update', () => {
    const stock = judge('locksmithd-will-not-reboot', observed({ ssh: { ...observed().ssh, locksmithd: { file: 'disabled', active: true } } }));
    assert.ok(stock.ok);
    assert.match(stock.reason, /^locksmithd is disabled,active: it would reboot the node without a drain once the update is staged, so flatdeck holds it for the update \(systemctl mask --runtime, stop\) and puts it back afterwards/);
    const masked = judge('locksmithd-will-not-reboot', observed());
    assert.ok(masked.ok);
    assert.equal(masked.reason, 'locksmithd is masked,inactive: it cannot reboot the node');
  });

  it('says SERVER=disabled stops every check and that flatdeck lifts it for the update', () => {
    const off = judge('update-server-reachable', observed({ ssh: { ...observed().ssh, etcUpdateConf: 'GROUP=stable\nSERVER=disabled\n' } }));
    assert.ok(off.ok);
    assert.match(off.reason, /^SERVER=disabled in \/etc\/flatcar\/update\.conf stops every update check .*flatdeck lifts it for this update .* puts it back afterwards$/);
    const stock = judge('update-server-reachable', observed());
    assert.ok(stock.ok);
    assert.equal(stock.reason, "update_engine asks the image's update server");
  });

  it('passes on the drain planner\'s blockers, and says when the pods cannot be listed', () => {
    const pdb = { kind: 'multi-pdb' as const, severity: 'error' as const, message: 'Pod shop/web is matched by 2 PodDisruptionBudgets', pod: 'shop/web', pdb: 'shop/a,shop/b' };
    assert.deepEqual(blockerOf(judge('pods-can-be-drained', observed({ drain: { pods: [], toRemove: [], blockers: [pdb] } }))), pdb);
    const unreadable = blockerOf(judge('pods-can-be-drained', observed({ drain: { kind: 'forbidden', message: 'pods is forbidden', facts: {} } })));
    assert.match(unreadable?.message ?? '', /Cannot list the pods on worker-1/);
  });
});

describe('pre-flight on a node', () => {
  it('lists a verdict for every rule and fills the report from what it read', async () => {
    const clock = virtualClock();
    const cluster = new FakeCluster(clock);
    cluster.addNode('worker-1', '4230.2.4', 'worker-1-boot-0');
    cluster.addPod('worker-1', 'web');
    const fc = new FakeFlatcar('worker-1', { version: '4230.2.4', offered: null, ue: { file: 'masked', active: false }, locksmithd: { file: 'enabled', active: true } }, cluster, clock);
    const facts = await preflight('test', 'worker-1', cluster, fc, testOptions(), new Date(clock.nowMs()), null);
    assert.deepEqual(facts.checks.map((c) => c.rule), preflightRules.map(([name]) => name));
    assert.equal(facts.report.ok, true, 'a running locksmithd does not stop the update: it is held');
    assert.deepEqual(facts.report.blockers, []);
    assert.equal(facts.report.notes.length, 1, 'what the update will do about it is a note for the operator');
    assert.match(facts.report.notes[0]!, /^locksmithd is enabled,active: .*flatdeck holds it for the update/);
    assert.deepEqual(facts.report.plans.map((p) => [p.code, p.params]), [['locksmithdHold', { state: 'enabled,active' }]], 'and as a code the UI words');
    assert.equal(facts.report.versionId, '4230.2.4');
    assert.equal(facts.report.updateEngineUnit, 'masked,inactive');
    assert.equal(facts.report.locksmithdUnit, 'enabled,active');
    assert.deepEqual(facts.report.pods.map((p) => `${p.name}:${p.action}`), ['web:evict']);
    assert.deepEqual(cluster.patches, [], 'pre-flight changes nothing');
  });

  it('stops at a Node it cannot read, saying so', async () => {
    const clock = virtualClock();
    const cluster = new FakeCluster(clock);
    const fc = new FakeFlatcar('ghost', { version: '4230.2.4', offered: null, ue: { file: 'masked', active: false } }, cluster, clock);
    const facts = await preflight('test', 'ghost', cluster, fc, testOptions(), new Date(clock.nowMs()), null);
    assert.equal(facts.report.ok, false);
    assert.match(facts.report.blockers[0]?.message ?? '', /Cannot read Node ghost from the API server/);
    assert.equal(fc.log.length, 0, 'nothing was run over SSH');
  });
});
