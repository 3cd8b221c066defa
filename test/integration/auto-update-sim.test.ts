// The auto-update toggle and the MachineDeployment edits as an operator runs them (the installed bin, a child
// process) against the simulator: unit states are checked with the real OpenSSH client, FLUO objects and
// MachineDeployments with the real kubectl, the rolling replacement with the simulator's own machine list.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { AutoUpdatePlan, AutoUpdateStatus, MachineDeploymentSummary } from '../../app/api/auto-update.ts';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { kubectlPath } from '../support/kubectl.ts';
import { runFlatdeck, type CliRun } from '../support/run-flatdeck.ts';
import { waitFor } from '../support/wait-for.ts';
import { control, ssh } from './sim-ssh-client.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-auto-update-'));
let sim: SimCluster;

const flatdeck = (...args: string[]): Promise<CliRun> =>
  runFlatdeck(dir, [...args, '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--data-dir', join(dir, 'data')]);

const kubectl = async (...args: string[]) => (await promisify(execFile)(kubectlPath(), ['--kubeconfig', sim.kubeconfigPath, ...args])).stdout;

/** What the node itself says, through the real OpenSSH client. */
async function units(node: string): Promise<{ ue: string; ueActive: string; locksmithd: string }> {
  const word = async (cmd: string) => (await ssh(sim.sshConfigPath, node, cmd)).stdout.trim();
  return {
    ue: await word('systemctl is-enabled update-engine.service'),
    ueActive: await word('systemctl is-active update-engine.service'),
    locksmithd: await word('systemctl is-enabled locksmithd.service'),
  };
}

// is-enabled counts only /etc links: worker-2's was written at provisioning; unmasked, the others run from the
// image's own vendor link, which `is-enabled` reports as disabled (flatdeck adds no needless /etc link)
const ON = (node: string) => ({ ue: node === 'worker-2' ? 'enabled' : 'disabled', ueActive: 'active', locksmithd: 'masked' });
const OFF = { ue: 'masked', ueActive: 'inactive', locksmithd: 'masked' };
const WORKERS = ['worker-1', 'worker-2', 'worker-3'];

before(async () => {
  sim = await startSimCluster({ nodes: 3, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: block.base, timeScale: 0.02, workload: false, scheduledUpdateChecks: false });
  await waitFor('3 registered nodes', async () => (await kubectl('get', 'nodes', '-o', 'name')).trim().split('\n').length === 3);
});

after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('flatdeck auto-update on the simulator', () => {
  it('status shows the seed fleet: worker-2 ready for FLUO, worker-1 and -3 masked, no FLUO', async () => {
    const run = await flatdeck('auto-update', 'status', '--json');
    assert.equal(run.code, 0, run.stderr);
    const s = JSON.parse(run.stdout) as AutoUpdateStatus;
    assert.equal(s.enabled, 'mixed');
    assert.equal(s.fluo.present, false);
    assert.deepEqual(s.nodes.map((n) => [n.node, n.updateEngine, n.updateEngineActive, n.locksmithd, n.group]), [
      ['worker-1', 'masked', false, 'masked', 'stable'],
      ['worker-2', 'enabled', true, 'masked', 'stable'],
      ['worker-3', 'masked', false, 'masked', 'beta'],
    ]);
  });

  it('on: installs FLUO and unmasks/starts update-engine over SSH on exactly the nodes that need it', async () => {
    const run = await flatdeck('auto-update', 'on', '--yes', '--window', 'Sat 02:00,4h');
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /cluster: apply FLUO v0\.10\.0-rc2 \(server-side apply, field manager flatdeck\) with reboot window Sat 02:00 for 4h/);
    assert.match(run.stdout, /worker-1: unmask update-engine/);
    assert.doesNotMatch(run.stdout, /worker-2:/, 'worker-2 already had what FLUO needs');
    for (const node of WORKERS) assert.deepEqual(await units(node), ON(node), node);
    assert.doesNotMatch(run.stdout, /enable update-engine/);
    const env = await kubectl('get', 'deployment', '-n', 'reboot-coordinator', 'flatcar-linux-update-operator', '-o', 'jsonpath={.spec.template.spec.containers[0].env[*].value}');
    assert.match(env, /Sat 02:00 4h/);
    const status = JSON.parse((await flatdeck('auto-update', 'status', '--json')).stdout) as AutoUpdateStatus;
    assert.equal(status.enabled, 'on');
    assert.deepEqual(status.fluo, { present: true, namespace: 'reboot-coordinator', version: 'v0.10.0-rc2', managedBy: 'flatdeck', agentReady: 3, agentDesired: 3 });
    const again = await flatdeck('auto-update', 'on', '--yes', '--json');
    const { plan } = JSON.parse(again.stdout) as { plan: AutoUpdatePlan };
    assert.deepEqual(plan.changes.map((c) => c.action), ['apply FLUO v0.10.0-rc2 (server-side apply, field manager flatdeck)'], 'a second on only re-applies the manifests');
    const envAfter = await kubectl('get', 'deployment', '-n', 'reboot-coordinator', 'flatcar-linux-update-operator', '-o', 'jsonpath={.spec.template.spec.containers[0].env[*].name}');
    assert.doesNotMatch(envAfter, /REBOOT_WINDOW/, 'applying without a window removes the window flatdeck set before');
  });

  it('off with an unreachable node: reported (exit 4), the rest switched; the next toggle fixes it', async () => {
    const fault = await control(sim.controlUrl, 'POST', '/faults', { kind: 'ssh-auth-rejected', node: 'worker-3' });
    assert.equal(fault.status, 201);
    const off = await flatdeck('auto-update', 'off', '--yes');
    assert.equal(off.code, 4, off.stderr + off.stdout);
    assert.match(off.stdout, /worker-3: retry: unreachable now/);
    assert.match(off.stdout, /unreachable \(retried on the next toggle\): worker-3/);
    assert.equal((await kubectl('get', 'namespaces', '-o', 'name')).includes('namespace/reboot-coordinator'), false);
    assert.deepEqual(await units('worker-1'), OFF);
    assert.deepEqual(await units('worker-2'), OFF);
    await control(sim.controlUrl, 'DELETE', '/faults');
    assert.deepEqual(await units('worker-3'), ON('worker-3'), 'worker-3 was left as it was');
    const status = JSON.parse((await flatdeck('auto-update', 'status', '--json')).stdout) as AutoUpdateStatus;
    assert.equal(status.enabled, 'mixed');

    const retry = await flatdeck('auto-update', 'off', '--yes', '--json');
    assert.equal(retry.code, 0, retry.stderr);
    const { plan, report } = JSON.parse(retry.stdout) as { plan: AutoUpdatePlan; report: { unreachable: string[] } };
    assert.deepEqual(plan.changes.map((c) => `${c.node}: ${c.action}`), ['worker-3: stop update-engine', 'worker-3: mask update-engine']);
    assert.deepEqual(report.unreachable, []);
    for (const node of WORKERS) assert.deepEqual(await units(node), OFF, node);
  });

  it('refuses to change the cluster without --yes when stdin is not a terminal', async () => {
    const run = await flatdeck('auto-update', 'on');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /pass --yes/);
    assert.equal((await kubectl('get', 'namespaces', '-o', 'name')).includes('namespace/reboot-coordinator'), false);
  });
});

describe('flatdeck auto-update --disable-mode server-disabled on the simulator', () => {
  it('writes SERVER=disabled (atomically: a file next to it renamed over it) keeping the other lines, keeps update-engine running; on removes it again', async () => {
    const off = await flatdeck('auto-update', 'off', '--disable-mode', 'server-disabled', '--yes');
    assert.equal(off.code, 0, off.stderr + off.stdout);
    assert.match(off.stdout, /worker-1: set SERVER=disabled/);
    const conf = async (node: string) => (await ssh(sim.sshConfigPath, node, 'cat /etc/flatcar/update.conf')).stdout;
    assert.equal(await conf('worker-3'), 'GROUP=beta\nSERVER=disabled\n');
    for (const node of WORKERS) {
      assert.match(await conf(node), /^SERVER=disabled$/m, node);
      assert.equal((await units(node)).ueActive, 'active', `${node}: update-engine keeps running to mark booted slots good`);
    }
    const status = JSON.parse((await flatdeck('auto-update', 'status', '--json')).stdout) as AutoUpdateStatus;
    assert.deepEqual([status.enabled, ...status.nodes.map((n) => n.server)], ['off', 'disabled', 'disabled', 'disabled']);

    const on = await flatdeck('auto-update', 'on', '--yes');
    assert.equal(on.code, 0, on.stderr + on.stdout);
    assert.equal(await conf('worker-3'), 'GROUP=beta\n');
    for (const node of WORKERS) assert.doesNotMatch(await conf(node), /SERVER/, node);
    assert.equal((await flatdeck('auto-update', 'off', '--yes')).code, 0);
  });
});

const machineDeployment = (name: string, os: string, spec: string, replicas: number) => `apiVersion: cluster.k8s.io/v1alpha1
kind: MachineDeployment
metadata:
  name: ${name}
  namespace: kube-system
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      pool: ${name}
  template:
    metadata:
      labels:
        pool: ${name}
    spec:
      providerSpec:
        value:
          operatingSystem: ${os}
          operatingSystemSpec: ${spec}
`;

async function mdReady(name: string, replicas: number): Promise<MachineDeploymentSummary> {
  return waitFor(`${name} with ${replicas} ready nodes`, async () => {
    const mds = JSON.parse((await flatdeck('md', 'list', '--json')).stdout) as MachineDeploymentSummary[];
    const md = mds.find((m) => m.name === name);
    return md && md.nodes.length === replicas && md.readyReplicas === replicas ? md : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500 });
}

/**
 * Runs the CLI while watching the pool's Machines (every ADDED/DELETED event, none missed): returns the most that
 * existed at once. With maxSurge 1 / maxUnavailable 0 that is replicas + 1 exactly.
 */
async function withPeakMachines(pool: string, run: () => Promise<CliRun>): Promise<{ run: CliRun; peak: number }> {
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  const live = new Set<string>();
  let peak = 0;
  const request = await new Watch(kc).watch(
    '/apis/cluster.k8s.io/v1alpha1/namespaces/kube-system/machines',
    { labelSelector: `pool=${pool}` },
    (type: string, obj: { metadata: { name: string } }) => {
      if (type === 'DELETED') live.delete(obj.metadata.name);
      else live.add(obj.metadata.name);
      peak = Math.max(peak, live.size);
    },
    () => undefined,
  );
  try {
    return { run: await run(), peak };
  } finally {
    request.abort();
  }
}

describe('flatdeck md on the simulator', () => {
  it('auto-update on replaces the two nodes one at a time and follows the rollout; the new nodes run update-engine', async () => {
    writeFileSync(join(dir, 'md.yaml'), machineDeployment('pool1', 'flatcar', '{disableAutoUpdate: true}', 2));
    await kubectl('apply', '-f', join(dir, 'md.yaml'));
    const before = await mdReady('pool1', 2);
    for (const node of before.nodes) assert.equal((await units(node)).ue, 'masked');

    const refused = await flatdeck('md', 'auto-update', 'pool1', 'on');
    assert.equal(refused.code, 2);
    assert.match(refused.stdout, /replaces all 2 of its node\(s\), one at a time/);

    const { run, peak } = await withPeakMachines('pool1', () => flatdeck('md', 'auto-update', 'pool1', 'on', '--yes'));
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(peak, 3, 'one surge Machine at a time: never more than replicas + 1, and never all replaced at once');
    const lines = run.stdout.trim().split('\n');
    assert.match(lines.at(-1)!, new RegExp(`^replaced ${before.nodes.join(', ')} by \\S+, \\S+$`));
    assert.match(lines.at(-2)!, /^kube-system\/pool1: updated 2\/2, ready 2\/2, nodes /, 'the followed progress ends with every node updated and ready');
    const after = await mdReady('pool1', 2);
    assert.equal(after.disableAutoUpdate, false);
    for (const node of after.nodes) {
      assert.ok(!before.nodes.includes(node), `${node} is new`);
      assert.deepEqual((await units(node)).ueActive, 'active');
    }
    await kubectl('delete', 'machinedeployment', '-n', 'kube-system', 'pool1', '--wait=false');
  });

  it('migrate-flatcar turns an Ubuntu MachineDeployment into Flatcar with auto-update on and ignition', async () => {
    writeFileSync(join(dir, 'ubuntu.yaml'), machineDeployment('legacy', 'ubuntu', '{distUpgradeOnBoot: false}', 1));
    await kubectl('apply', '-f', join(dir, 'ubuntu.yaml'));
    const before = await mdReady('legacy', 1);
    const status = JSON.parse((await flatdeck('auto-update', 'status', '--json')).stdout) as AutoUpdateStatus;
    assert.ok(status.warnings.some((w) => /^MachineDeployment kube-system\/legacy runs Ubuntu, which is no longer supported/.test(w)), status.warnings.join('\n'));

    const run = await flatdeck('md', 'migrate-flatcar', 'kube-system/legacy', '--yes', '--json');
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { machineDeployment: MachineDeploymentSummary; replaced: string[]; by: string[] };
    assert.equal(out.machineDeployment.operatingSystem, 'flatcar');
    assert.deepEqual(out.replaced, before.nodes);
    assert.notDeepEqual(out.by, before.nodes);
    const spec = JSON.parse(await kubectl('get', 'machinedeployment', '-n', 'kube-system', 'legacy', '-o', 'jsonpath={.spec.template.spec.providerSpec.value}')) as unknown;
    assert.deepEqual(spec, { operatingSystem: 'flatcar', operatingSystemSpec: { disableAutoUpdate: false, provisioningUtility: 'ignition' } });
  });
});
