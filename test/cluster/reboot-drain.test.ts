// Evidence on the real control plane: the simulator's SSH Flatcar fleet and its kubelet role registered in a real
// kube-apiserver (`sim --api external`). The Go-built `kubectl drain` evicts a node's pods while the real
// kube-controller-manager computes PDB status and recreates ReplicaSet pods and the real scheduler places them;
// then the node is updated and rebooted over OpenSSH and goes NotReady → Ready with a new bootID and osImage.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { isRunningAndReady } from '../../sim/kubelet/pod-status.ts';
import { ContentType, KubeRestClient, type WatchEvent } from '../../sim/kubelet/rest-client.ts';
import { realClusterSkip, startRealCluster, type RealCluster } from '../support/real-cluster.ts';
import { runKubectl } from '../support/run-kubectl.ts';
import { waitFor } from '../support/wait-for.ts';
import { deployment, pdb } from './contract/helpers.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const skip = realClusterSkip();
const run = promisify(execFile);

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string; ownerReferences?: Array<{ kind: string }> };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ restartCount: number }> };
}
interface Node {
  metadata: { resourceVersion: string };
  spec: { unschedulable?: boolean };
  status: { nodeInfo: { bootID: string; osImage: string; kernelVersion: string }; conditions: Array<{ type: string; status: string; reason?: string }> };
}

// Older Flatcar releases write os-release values unquoted, newer ones quoted.
const versionLine = (v: string) => new RegExp(`^VERSION_ID="?${v.replace(/\./g, '\\.')}"?$`);
const readyOf = (n: Node) => n.status.conditions.find((c) => c.type === 'Ready')?.status;

describe('real control plane: simulated Flatcar node drained with kubectl and rebooted over OpenSSH', { skip }, () => {
  let cluster: RealCluster;
  let sim: SimCluster;
  let admin: KubeRestClient;
  let stateDir: string;
  let target: string; // the node drained and rebooted
  let spare: string;

  const podsOn = async (node: string) =>
    (await admin.get<{ items: Pod[] }>(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`)).items;
  const ssh = async (address: string, command: string) => {
    try {
      const r = await run('ssh', ['-F', sim.sshConfigPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', address, command], { timeout: 30_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  before(async () => {
    cluster = await startRealCluster();
    admin = await KubeRestClient.fromKubeconfigFile(cluster.kubeconfigPath);
    stateDir = mkdtempSync(join(tmpdir(), 'flatdeck-sim-external-'));
    sim = await startSimCluster({
      nodes: 2,
      stateDir,
      seed: 7,
      timeScale: 0.05,
      sshPort: 0,
      addressBase: block.base,
      api: { kind: 'external', kubeconfig: cluster.kubeconfigPath },
      scheduledUpdateChecks: false,
      workload: true,
    });
    [target, spare] = sim.nodes.map((n) => n.name) as [string, string];
    // Every PDB-guarded replica starts on the target: create them while the spare node is cordoned.
    assert.equal((await runKubectl(cluster.kubeconfigPath, ['cordon', spare])).code, 0);
    await admin.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'guarded' } });
    await admin.call('POST', '/apis/apps/v1/namespaces/guarded/deployments', deployment('guarded', 'checkout', 2));
    await admin.call('POST', '/apis/policy/v1/namespaces/guarded/poddisruptionbudgets', pdb('guarded', 'checkout', 'checkout', { maxUnavailable: 0 }));
    await waitFor('checkout pods ready on the target node', async () => {
      const pods = (await podsOn(target)).filter((p) => p.metadata.name.startsWith('checkout-'));
      return pods.length === 2 && pods.every(isRunningAndReady);
    }, { timeoutMs: 120_000 });
    await waitFor('the demo workload running', async () => {
      const pods = await admin.get<{ items: Pod[] }>('/api/v1/namespaces/shop/pods');
      return pods.items.length >= 8 && pods.items.every(isRunningAndReady);
    }, { timeoutMs: 120_000 });
    assert.equal((await runKubectl(cluster.kubeconfigPath, ['uncordon', spare])).code, 0);
  });

  after(async () => {
    await sim?.stop();
    await cluster?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('kubectl drain is blocked while the PDB allows no disruption (drain --timeout fails)', async () => {
    const pdb = await admin.get<{ status: { disruptionsAllowed: number; currentHealthy: number } }>('/apis/policy/v1/namespaces/guarded/poddisruptionbudgets/checkout');
    assert.equal(pdb.status.disruptionsAllowed, 0, 'the real disruption controller computed 0 allowed');
    assert.equal(pdb.status.currentHealthy, 2);
    const before = (await podsOn(target)).filter((p) => p.metadata.name.startsWith('checkout-'));
    const drain = await runKubectl(cluster.kubeconfigPath, ['drain', target, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=25s'], { timeoutMs: 90_000 });
    assert.notEqual(drain.code, 0, 'drain must fail while the budget allows nothing');
    const out = `${drain.stdout}\n${drain.stderr}`;
    assert.match(out, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.match(out, /global timeout reached: 25s/);
    const after = (await podsOn(target)).filter((p) => p.metadata.name.startsWith('checkout-'));
    assert.deepEqual(after.map((p) => p.metadata.uid).sort(), before.map((p) => p.metadata.uid).sort(), 'the guarded pods were not evicted');
    const node = await admin.get<Node>(`/api/v1/nodes/${target}`);
    assert.equal(node.spec.unschedulable, true, 'drain cordoned the node first');
  });

  it('after the PDB is relaxed, kubectl drain evicts everything but DaemonSet pods; replacements run on the spare node', async () => {
    await admin.call('PATCH', '/apis/policy/v1/namespaces/guarded/poddisruptionbudgets/checkout', { spec: { maxUnavailable: 1 } }, ContentType.merge);
    const drain = await runKubectl(cluster.kubeconfigPath, ['drain', target, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=240s'], {
      timeoutMs: 300_000,
    });
    assert.equal(drain.code, 0, `${drain.stdout}\n${drain.stderr}`);
    assert.match(drain.stdout, new RegExp(`node/${target} drained`));
    const left = await podsOn(target);
    assert.ok(left.length > 0 && left.every((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet')), 'only DaemonSet pods remain');
    const checkout = await waitFor('two ready checkout pods on the spare node', async () => {
      const pods = (await podsOn(spare)).filter((p) => p.metadata.name.startsWith('checkout-') && isRunningAndReady(p));
      return pods.length === 2 ? pods : undefined;
    }, { timeoutMs: 60_000 });
    assert.equal(checkout.length, 2);
  });

  it('updated and rebooted over OpenSSH, the node goes NotReady, then Ready with a new bootID and osImage', async () => {
    const machine = sim.nodes.find((n) => n.name === target);
    assert.ok(machine);
    const newVersion = '4999.0.0';
    sim.releases.publish(machine.channel, { version: newVersion, size: 400_000_000 });
    const before = await admin.get<Node>(`/api/v1/nodes/${target}`);
    assert.equal(readyOf(before), 'True');
    assert.match(before.status.nodeInfo.osImage, new RegExp(machine.version.replace(/\./g, '\\.')));

    const readyStates: string[] = [];
    const watch = admin.watch<Node>(
      `/api/v1/nodes?watch=1&fieldSelector=${encodeURIComponent(`metadata.name=${target}`)}&resourceVersion=${before.metadata.resourceVersion}`,
      (ev: WatchEvent<Node>) => {
        const ready = ev.type === 'MODIFIED' ? readyOf(ev.object) : undefined;
        if (ready && readyStates.at(-1) !== ready) readyStates.push(ready);
      },
    );
    try {
      const version = await ssh(machine.address, 'grep VERSION_ID /etc/os-release');
      assert.match(version.stdout.trim(), versionLine(machine.version));
      for (const cmd of ['sudo systemctl unmask update-engine.service', 'sudo systemctl start update-engine.service', 'sudo update_engine_client -check_for_update']) {
        const r = await ssh(machine.address, cmd);
        assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
      }
      await waitFor('UPDATE_STATUS_UPDATED_NEED_REBOOT', async () => {
        const status = await ssh(machine.address, 'sudo update_engine_client -status');
        return /CURRENT_OP=UPDATE_STATUS_UPDATED_NEED_REBOOT/.test(status.stdout);
      }, { timeoutMs: 120_000, intervalMs: 500 });
      await ssh(machine.address, 'sudo systemctl reboot');

      const after = await waitFor('the node Ready again on a new boot', async () => {
        const n = await admin.get<Node>(`/api/v1/nodes/${target}`);
        return readyOf(n) === 'True' && n.status.nodeInfo.bootID !== before.status.nodeInfo.bootID ? n : undefined;
      }, { timeoutMs: 120_000 });
      assert.match(after.status.nodeInfo.osImage, new RegExp(`Flatcar Container Linux by Kinvolk ${newVersion.replace(/\./g, '\\.')}`));
      await waitFor('the watch to have seen NotReady then Ready', () => readyStates.join('>').includes('False>True'));

      const back = await ssh(machine.address, 'grep VERSION_ID /etc/os-release');
      assert.match(back.stdout.trim(), versionLine(newVersion));
      const bootId = await ssh(machine.address, 'cat /proc/sys/kernel/random/boot_id');
      assert.equal(bootId.stdout.trim(), after.status.nodeInfo.bootID, 'the API shows the boot id the machine reports');
    } finally {
      watch.abort();
    }
    await waitFor('DaemonSet pods ready again after the reboot', async () => {
      const pods = await podsOn(target);
      return pods.length > 0 && pods.every((p) => isRunningAndReady(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    }, { timeoutMs: 60_000 });
    assert.equal((await runKubectl(cluster.kubeconfigPath, ['uncordon', target])).code, 0);
  });
});
