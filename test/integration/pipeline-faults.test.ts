import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { UpdateOptions, type RolloutState } from '../../app/api/pipeline.ts';
import type { FaultSpecInput } from '../../sim/cluster.ts';
import { guardedWorld } from './guarded-world.ts';
import { publishNewReleases } from './pipeline-cli.ts';
import { simMachine } from './pipeline-world.ts';

const options = (extra: Partial<UpdateOptions> = {}) =>
  UpdateOptions.parse({ emptyDirPolicy: 'delete', unmanagedPodPolicy: 'delete', settleSeconds: 0, restoreAfterBootSeconds: 1, leaseDurationSeconds: 3, rebootTimeoutSeconds: 20, updateTimeoutSeconds: 20, drainTimeoutSeconds: 60, ...extra });

/**
 * Every simulator fault, at the step it hits, with its documented outcome. Nodes that end "needs attention"
 * are handed back afterwards (which is itself asserted), so the next case starts clean.
 */
describe('fault matrix on the simulator', () => {
  const w = guardedWorld({ nodes: 3 });

  const core = () => w.kc.makeApiClient(CoreV1Api);
  const cordoned = async (node: string) => (await core().readNode({ name: node })).spec?.unschedulable === true;

  async function update(node: string, fault: FaultSpecInput | null, extra: Partial<UpdateOptions> = {}, during?: { step: string; act: () => void }): Promise<RolloutState> {
    publishNewReleases(w.sim);
    const added = fault ? w.sim.faults.add(fault) : null;
    // a pooled connection from the previous case would hide a fault that bites at connect time
    for (const n of w.sim.nodes) w.pool.drop({ nodeName: n.name, host: n.address });
    const engine = w.engine();
    try {
      const run = await engine.start({ kind: 'single', nodes: [node], options: options(extra) });
      if (during) {
        const seen = setInterval(() => {
          if (w.events.some((e) => e.topic === 'step' && e.payload.runId === run.runId && e.payload.step === during.step && e.payload.status === 'started')) {
            clearInterval(seen);
            during.act();
          }
        }, 20);
        void run.done.finally(() => clearInterval(seen));
      }
      return await run.done;
    } finally {
      if (added) w.sim.faults.remove(added.id);
    }
  }

  async function handBack(runId: string, node: string) {
    const engine = w.engine();
    const found = await engine.unfinished();
    assert.ok(found.some((u) => u.runId === runId && u.node === node), 'the needs-attention node is listed for hand-back');
    assert.deepEqual(await engine.handBack(runId, UpdateOptions.parse({ leaseDurationSeconds: 3 })), [node]);
    assert.equal(await cordoned(node), false, 'hand-back uncordons what the run cordoned');
    const n = await core().readNode({ name: node });
    const staged = simMachine(w.sim, node).snapshot().updateEngine?.currentOperation === 'UPDATE_STATUS_UPDATED_NEED_REBOOT';
    // a hand-back clears the run's marks; an update still staged keeps its record, so it is never hidden (issue 13)
    assert.deepEqual(Object.keys(n.metadata?.annotations ?? {}).filter((k) => k.startsWith('flatdeck.io/')), staged ? ['flatdeck.io/staged-version'] : []);
  }

  const n1 = () => w.sim.nodes[0]!.name;

  for (const phase of ['check', 'download', 'finalize'] as const) {
    it(`update-error at ${phase}: update fails with the journalctl hint, nothing cordoned`, async () => {
      const s = await update(n1(), { kind: 'update-error', node: n1(), phase });
      assert.equal(s.error?.kind, 'update-failed');
      assert.match(s.error?.message ?? '', /journalctl -u update-engine/);
      assert.equal(await cordoned(n1()), false);
    });
  }

  it('download-stall: the update step times out, nothing cordoned', async () => {
    const s = await update(n1(), { kind: 'download-stall', node: n1() }, { updateTimeoutSeconds: 4 });
    assert.equal(s.error?.kind, 'update-failed');
    assert.match(s.error?.message ?? '', /did not finish within 4 s/);
    assert.equal(await cordoned(n1()), false);
  });

  it('sudo-password: pre-flight blocker, nothing changed', async () => {
    const s = await update(n1(), { kind: 'sudo-password', node: n1() });
    assert.equal(s.error?.kind, 'sudo-password-required');
    assert.equal(s.nodes[0]?.step, 'preflight');
    assert.equal(await cordoned(n1()), false);
  });

  it('ssh-auth-rejected: pre-flight blocker naming SSH', async () => {
    const s = await update(n1(), { kind: 'ssh-auth-rejected', node: n1() });
    assert.match(s.error?.message ?? '', /Pre-flight failed .*SSH/);
    assert.equal(await cordoned(n1()), false);
  });

  it('host-key-changed: refused at pre-flight, nothing changed', async () => {
    const s = await update(n1(), { kind: 'host-key-changed', node: n1() });
    assert.match(s.error?.message ?? '', /Pre-flight failed/);
    assert.match(JSON.stringify(w.events.filter((e) => e.topic === 'step' && e.payload.runId === s.runId)), /host key|host-key/i);
    assert.equal(await cordoned(n1()), false);
  });

  it('ssh-slow: every command is slower, the update still succeeds', async () => {
    const s = await update(n1(), { kind: 'ssh-slow', node: n1(), delayMs: 150 });
    assert.equal(s.status, 'succeeded', JSON.stringify(s.error));
  });

  it('ssh-drop during the download: the node fails or finishes, never left cordoned', async () => {
    let dropped: { id: string } | null = null;
    const s = await update(n1(), null, {}, {
      step: 'update',
      act: () => {
        dropped = w.sim.faults.add({ kind: 'ssh-drop', node: n1() });
        setTimeout(() => dropped && w.sim.faults.remove(dropped.id), 1500);
      },
    });
    assert.ok(dropped, 'the fault was injected');
    w.sim.faults.remove((dropped as { id: string }).id);
    // documented outcome: SSH going away mid-update fails the node before anything disruptive happened
    if (s.status !== 'succeeded') {
      assert.match(s.error?.kind ?? '', /^ssh-/);
      assert.equal(s.nodes[0]?.step === 'update' || s.nodes[0]?.phase === 'failed', true);
    }
    assert.equal(await cordoned(n1()), false);
  });

  it('api-5xx-burst: transient API errors are retried, the update succeeds', async () => {
    const s = await update(n1(), { kind: 'api-5xx-burst', count: 6, status: 503 });
    assert.equal(s.status, 'succeeded', JSON.stringify(s.error));
  });

  it('api-unavailable during the drain: retried until it is back', async () => {
    const s = await update(n1(), null, {}, { step: 'drain', act: () => void w.sim.faults.add({ kind: 'api-unavailable', durationMs: 2000 }) });
    assert.equal(s.status, 'succeeded', JSON.stringify(s.error));
  });

  it('pdb-never-allows: drain times out, node stays cordoned and needs attention, never rebooted', async () => {
    const node = w.sim.nodes[1]!.name;
    const machine = w.sim.machines[1]!;
    const before = machine.bootId();
    const s = await update(node, { kind: 'pdb-never-allows', namespace: 'shop', name: 'web' }, { drainTimeoutSeconds: 6 });
    if (s.status === 'succeeded') return; // no PDB-guarded pod landed on this node; the other cases cover drain
    assert.equal(s.error?.kind, 'drain-timeout');
    assert.match(s.error?.message ?? '', /still there: \S+\/\S+/);
    assert.equal(s.nodes[0]?.phase, 'needs-attention');
    assert.equal(await cordoned(node), true);
    assert.equal(machine.bootId(), before, 'not rebooted');
    const n = await core().readNode({ name: node });
    assert.match(n.metadata?.annotations?.['flatdeck.io/needs-attention'] ?? '', /did not finish/);
    await handBack(s.runId, node);
  });

  it('rollback: the node boots the old version again, reported, kept cordoned', async () => {
    const node = w.sim.nodes[2]!.name;
    const s = await update(node, { kind: 'rollback', node });
    assert.equal(s.error?.kind, 'rollback-detected');
    assert.equal(s.nodes[0]?.phase, 'needs-attention');
    assert.equal(await cordoned(node), true);
    await handBack(s.runId, node);
  });

  it('never-returns: reboot times out, node kept cordoned and needs attention', async () => {
    const node = n1();
    const s = await update(node, { kind: 'never-returns', node }, { rebootTimeoutSeconds: 5 });
    assert.equal(s.error?.kind, 'reboot-failed');
    assert.match(s.error?.message ?? '', /did not come back within 5 s/);
    assert.equal(await cordoned(node), true);
  });
});
