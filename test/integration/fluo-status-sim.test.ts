// flatdeck's view of FLUO (`flatdeck auto-update status`, `flatdeck nodes`: the same API data the renderer's FLUO
// columns show) on the simulator with FLUO really running (sim/fluo), not hand-written annotations. The operator is
// configured with before- and after-reboot checks, so FLUO's phases hold still long enough to be read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AutoUpdateStatus } from '../../app/api/auto-update.ts';
import type { NodeRow } from '../../main/cli/commands/nodes.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { ContentType, KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { runFlatdeck } from '../support/run-flatdeck.ts';
import { waitFor } from '../support/wait-for.ts';
import { ssh } from './sim-ssh-client.ts';

const P = 'flatcar-linux-update.v1.flatcar-linux.net/';
const BEFORE = 'checks.example.com/before-reboot-ok';
const AFTER = 'checks.example.com/after-reboot-ok';
const dir = mkdtempSync(join(tmpdir(), 'flatdeck-fluo-status-'));
let sim: SimCluster;
let api: KubeRestClient;

interface Node {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: { unschedulable?: boolean };
}
const node = (name: string) => api.get<Node>(`/api/v1/nodes/${name}`);
const annotate = (name: string, annotations: Record<string, string>) => api.call('PATCH', `/api/v1/nodes/${name}`, { metadata: { annotations } }, ContentType.merge);

async function flatdeck<T>(...args: string[]): Promise<T> {
  const run = await runFlatdeck(dir, [...args, '--json', '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--data-dir', join(dir, 'data')]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}
const fluoOf = async (name: string) => (await flatdeck<AutoUpdateStatus>('auto-update', 'status')).nodes.find((n) => n.node === name)?.fluo;
const rowOf = async (name: string) => (await flatdeck<NodeRow[]>('nodes')).find((r) => r.name === name);

async function run(host: string, command: string): Promise<void> {
  const r = await ssh(sim.sshConfigPath, host, command);
  assert.equal(r.code, 0, `${host}: ${command}: ${r.stderr}`);
}

before(async () => {
  sim = await startSimCluster({ nodes: 3, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: loopbackBlock().base, timeScale: 0.05, scheduledUpdateChecks: false, workload: false, fluo: 'installed' });
  api = await KubeRestClient.fromKubeconfigFile(sim.kubeconfigPath);
  const changed = Date.now();
  await api.call('PATCH', '/apis/apps/v1/namespaces/reboot-coordinator/deployments/flatcar-linux-update-operator', {
    spec: { template: { spec: { containers: [{ name: 'update-operator', env: [{ name: 'UPDATE_OPERATOR_BEFORE_REBOOT_ANNOTATIONS', value: BEFORE }, { name: 'UPDATE_OPERATOR_AFTER_REBOOT_ANNOTATIONS', value: AFTER }] }] } } },
  }, ContentType.strategic);
  const started = await waitFor('the reconfigured operator running', () => readEvents(sim.eventsPath).find((e) => e.kind === 'fluo-role' && e.role === 'update-operator' && e.to === 'running' && Date.parse(e.ts) > changed), { timeoutMs: 60_000 });
  const lock = '/apis/coordination.k8s.io/v1/namespaces/reboot-coordinator/leases/flatcar-linux-update-operator-lock';
  await waitFor('the reconfigured operator leading', async () => `reboot-coordinator/${(await api.get<{ spec: { holderIdentity: string } }>(lock)).spec.holderIdentity}` === started.pod, { timeoutMs: 60_000 });
  await waitFor('FLUO agents on every node', async () => {
    for (const m of sim.machines) if ((await node(m.name)).metadata.annotations[`${P}reboot-needed`] !== 'false') return false;
    return true;
  }, { timeoutMs: 60_000 });
  await run('worker-2', 'sudo systemctl unmask update-engine.service');
  await run('worker-2', 'sudo systemctl start update-engine.service');
});

after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("flatdeck shows FLUO's real states on the simulated fleet", () => {
  it('selected for a reboot, waiting for the before-reboot check: needs a reboot, before-reboot, not yet ok', async () => {
    await waitFor('worker-2 status written by its agent', async () => (await node('worker-2')).metadata.annotations[`${P}status`] === 'UPDATE_STATUS_IDLE');
    assert.deepEqual(await fluoOf('worker-2'), {
      status: 'UPDATE_STATUS_IDLE', newVersion: '0.0.0', lastCheckedTime: '0', rebootNeeded: false, rebootOk: false, rebootInProgress: false, rebootPaused: false, beforeReboot: false, afterReboot: false, phase: 'IDLE', heldBy: null,
    });
    await run('worker-2', 'update_engine_client -check_for_update');
    await waitFor('FLUO selecting worker-2', async () => (await node('worker-2')).metadata.labels[`${P}before-reboot`] === 'true', { timeoutMs: 60_000 });
    const fluo = await fluoOf('worker-2');
    const offered = (await node('worker-2')).metadata.annotations[`${P}new-version`];
    assert.equal(fluo?.status, 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
    assert.equal(fluo?.newVersion, offered);
    assert.deepEqual([fluo?.rebootNeeded, fluo?.beforeReboot, fluo?.rebootOk, fluo?.rebootInProgress], [true, true, false, false]);
    assert.deepEqual((await rowOf('worker-2'))?.update, { source: 'fluo', state: 'UPDATED_NEED_REBOOT', word: 'Reboot needed', progress: null, newVersion: offered });

    // FLUO does not go on without the check: three more reconciliations later it still waits.
    await new Promise((r) => setTimeout(r, 3 * 2_000)); // three operator reconciliations
    assert.equal((await node('worker-2')).metadata.labels[`${P}before-reboot`], 'true');
    assert.equal(readEvents(sim.eventsPath).some((e) => e.node === 'worker-2' && e.kind === 'reboot-start'), false);
  });

  it('rebooted, waiting for the after-reboot check: back on the new version, still cordoned, shown as rebooted', async () => {
    const target = (await node('worker-2')).metadata.annotations[`${P}new-version`];
    await annotate('worker-2', { [BEFORE]: 'true' });
    await waitFor('FLUO waiting for the after-reboot check', async () => (await node('worker-2')).metadata.labels[`${P}after-reboot`] === 'true', { timeoutMs: 60_000 });
    assert.ok(readEvents(sim.eventsPath).some((e) => e.node === 'worker-2' && e.kind === 'reboot-start' && e.by === 'update-agent'));
    assert.equal((await node('worker-2')).metadata.annotations[BEFORE], undefined, 'the operator removes the check annotation it consumed');
    const fluo = await fluoOf('worker-2');
    assert.deepEqual([fluo?.rebootNeeded, fluo?.rebootOk, fluo?.rebootInProgress, fluo?.beforeReboot, fluo?.afterReboot], [false, true, false, false, true]);
    assert.deepEqual([fluo?.status, fluo?.phase], ['UPDATE_STATUS_UPDATED_NEED_REBOOT', 'REBOOTED'], "the API gives the phase next to the agent's stale status");
    const row = await rowOf('worker-2');
    assert.equal(row?.cordoned, true, "FLUO's agent keeps the node cordoned until the operator is done");
    assert.equal(row?.version, target);
    assert.equal(row?.update.state, 'REBOOTED');
    const text = await runFlatdeck(dir, ['auto-update', 'status', '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--data-dir', join(dir, 'data')]);
    assert.match(text.stdout, /^worker-2 .* REBOOTED +no$/m, 'the status table names the phase, not the stale NEED_REBOOT');
  });

  it('done: uncordoned, reboot-ok false, the agent reports update_engine IDLE again', async () => {
    await annotate('worker-2', { [AFTER]: 'true' });
    await waitFor('FLUO finished with worker-2', async () => {
      const n = await node('worker-2');
      return !n.spec.unschedulable && n.metadata.annotations[`${P}status`] === 'UPDATE_STATUS_IDLE';
    }, { timeoutMs: 60_000 });
    const fluo = await fluoOf('worker-2');
    assert.deepEqual(fluo, { status: 'UPDATE_STATUS_IDLE', newVersion: '0.0.0', lastCheckedTime: '0', rebootNeeded: false, rebootOk: false, rebootInProgress: false, rebootPaused: false, beforeReboot: false, afterReboot: false, phase: 'IDLE', heldBy: null });
    const row = await rowOf('worker-2');
    assert.deepEqual([row?.cordoned, row?.update.state], [false, 'IDLE']);
  });

  it('a node left reboot-paused by a flatdeck that stopped mid-run: status names it, in the API and the CLI', async () => {
    // what a crashed lock holder leaves behind (app/cluster/fluo-guard.ts): FLUO paused, and who paused it
    await annotate('worker-3', { [`${P}reboot-paused`]: 'true', 'flatdeck.io/fluo-held-by': 'laptop-7/crashed' });
    const status = await flatdeck<AutoUpdateStatus>('auto-update', 'status');
    assert.equal(status.nodes.find((n) => n.node === 'worker-3')?.fluo?.heldBy, 'laptop-7/crashed');
    const held = status.warnings.filter((w) => w.includes('flatdeck.io/fluo-held-by'));
    assert.equal(held.length, 1, status.warnings.join('\n'));
    assert.match(held[0]!, /paused FLUO's reboots on worker-3 \(by laptop-7\/crashed\)/);
    assert.doesNotMatch(held[0]!, /worker-[12]/);
    const text = await runFlatdeck(dir, ['auto-update', 'status', '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--data-dir', join(dir, 'data')]);
    assert.match(text.stdout, /^warning: flatdeck has paused FLUO's reboots on worker-3 \(by laptop-7\/crashed\)/m);
  });
});
