// `flatdeck auto-update` and `flatdeck md` argument checking and output formatting (no cluster: usage errors
// stop before one is opened); the commands against a cluster are in test/integration/auto-update-sim.test.ts.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { AutoUpdatePlan, AutoUpdateStatus } from '../../app/api/auto-update.ts';
import { EXIT, type CliIo } from '../../main/cli/command.ts';
import { mdTable, planText, statusText } from '../../main/cli/commands/auto-update.ts';
import { runCli } from '../../main/cli/run.ts';

async function run(...argv: string[]): Promise<{ code: number; err: string }> {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const io: CliIo = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {}, signal: new AbortController().signal };
  return { code: await runCli(argv, io), err };
}

describe('flatdeck auto-update / md arguments', () => {
  it('rejects a missing or unknown verb, a malformed window and an unknown disable mode with exit 2', async () => {
    assert.match((await run('auto-update')).err, /auto-update takes exactly one of: status, on, off/);
    assert.match((await run('auto-update', 'maybe')).err, /auto-update needs one of: status, on, off/);
    const w = await run('auto-update', 'on', '--window', 'Thu 04:00');
    assert.equal(w.code, EXIT.usage);
    assert.match(w.err, /--window: "Thu 04:00" is not a reboot window like .*"Thu 04:00,1h30m"/);
    assert.match((await run('auto-update', 'off', '--disable-mode', 'unplug')).err, /--disable-mode must be mask or server-disabled/);
    const md = await run('md', 'auto-update', 'pool1', 'sometimes');
    assert.equal(md.code, EXIT.usage);
    assert.match(md.err, /md needs: list \| auto-update MD on\|off \| migrate-flatcar MD/);
  });
});

describe('flatdeck auto-update output', () => {
  it('status shows FLUO, per-node units and annotations, MachineDeployments and warnings', () => {
    const status: AutoUpdateStatus = {
      cluster: 'prod',
      enabled: 'mixed',
      fluo: { present: true, namespace: 'kube-system', version: 'v0.9.0', managedBy: 'kubermatic', agentReady: 1, agentDesired: 2 },
      nodes: [
        { node: 'w1', updateEngine: 'masked', updateEngineActive: false, locksmithd: 'masked', locksmithdActive: false, group: 'stable', server: null, reachable: true, error: null, fluo: null },
        { node: 'w2', updateEngine: 'unknown', updateEngineActive: null, locksmithd: 'unknown', locksmithdActive: null, group: null, server: null, reachable: false, error: 'refused', fluo: null },
      ],
      machineDeployments: [{ name: 'old', namespace: 'kube-system', operatingSystem: 'ubuntu', disableAutoUpdate: false, replicas: 2, updatedReplicas: 2, readyReplicas: 2, nodes: ['u1', 'u2'] }],
      warnings: ['FLUO is installed but update-engine is masked on w1: those nodes never get updates.'],
      notes: [{ code: 'fluoMasked', params: { nodes: 'w1' }, message: 'FLUO is installed but update-engine is masked on w1: those nodes never get updates.' }],
      rebootsWithoutDrain: null,
    };
    const text = statusText(status);
    assert.match(text, /^auto-update: mixed\nFLUO v0\.9\.0 in kube-system, managed by kubermatic, agent ready 1\/2\n/);
    assert.match(text, /^w1 +masked +no +masked +no +stable +- +- +-$/m);
    assert.doesNotMatch(text, /DANGER/);
    assert.match(text, /^w2 +unreachable +- +- +/m);
    assert.match(text, /^kube-system\/old +ubuntu \(unsupported: migrate to Flatcar\) +- +2 +2 +2 +u1,u2$/m);
    assert.match(text, /^warning: FLUO is installed but update-engine is masked on w1/m);
  });
  it('status puts stock nodes that reboot without a drain first, with both remedies as commands', () => {
    const stock = { updateEngine: 'vendor-enabled', updateEngineActive: true, locksmithd: 'vendor-enabled', locksmithdActive: true, group: 'stable', server: null, reachable: true, error: null, fluo: null } as const;
    const status: AutoUpdateStatus = {
      cluster: 'prod',
      enabled: 'mixed',
      fluo: { present: false, namespace: null, version: null, managedBy: null, agentReady: 0, agentDesired: 2 },
      nodes: [{ node: 'w1', ...stock }, { node: 'w2', ...stock }],
      machineDeployments: [],
      warnings: [],
      notes: [],
      rebootsWithoutDrain: { nodes: ['w1', 'w2'], fluoVersion: 'v0.10.0-rc2', message: '2 nodes reboot without a drain when an update arrives: w1, w2', remedies: [{ enable: true, description: 'FLUO drains' }, { enable: false, description: 'no updates by themselves' }] },
    };
    const text = statusText(status);
    assert.match(text, /^FLUO not installed\n\nDANGER: 2 nodes reboot without a drain when an update arrives: w1, w2\n {2}remedy: flatdeck auto-update on \(FLUO drains\)\n {2}remedy: flatdeck auto-update off \(no updates by themselves\)\n\nNODE/m);
    assert.match(text, /^w1 +vendor-enabled +yes +vendor-enabled +yes +stable/m);
  });
  it('the plan names every change and its node, and says when there is nothing to do', () => {
    const plan: AutoUpdatePlan = { planId: 'p', cluster: 'prod', enable: false, changes: [{ target: 'node', node: 'w1', action: 'mask update-engine', code: 'node-action', params: { action: 'mask update-engine' } }], notes: ['a note'], planNotes: [] };
    assert.equal(planText(plan), 'Plan to turn auto-update OFF for prod:\n  w1: mask update-engine\nnote: a note\n');
    assert.match(planText({ ...plan, changes: [] }), /\(no changes\)/);
    assert.match(mdTable([]), /^MACHINEDEPLOYMENT +OS +AUTO-UPDATE/);
  });
});
