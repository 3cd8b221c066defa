// Kubermatic-style node replacement in the simulator: a MachineDeployment's Machines become SSH-backed
// Flatcar nodes whose update-engine follows disableAutoUpdate; toggling it (with the real kubectl) replaces
// the node, and ssh_config/known_hosts follow so the real OpenSSH client reaches the new one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { ssh, waitFor } from './sim-ssh-client.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const run = promisify(execFile);
let cluster: SimCluster;
let dir: string;

const kubectl = (...args: string[]) => run('/usr/bin/kubectl', ['--kubeconfig', cluster.kubeconfigPath, ...args]).then((r) => r.stdout);

const machineDeployment = (disableAutoUpdate: boolean) => `apiVersion: cluster.k8s.io/v1alpha1
kind: MachineDeployment
metadata:
  name: pool1
  namespace: kube-system
spec:
  replicas: 1
  selector:
    matchLabels:
      pool: pool1
  template:
    metadata:
      labels:
        pool: pool1
    spec:
      providerSpec:
        value:
          operatingSystem: flatcar
          operatingSystemSpec:
            disableAutoUpdate: ${disableAutoUpdate}
`;

async function machineNode(): Promise<string> {
  return waitFor('the Machine to get its node', async () => {
    const names = (await kubectl('get', 'machines', '-n', 'kube-system', '-o', 'jsonpath={.items[*].status.nodeRef.name}')).trim().split(/\s+/).filter(Boolean);
    if (names.length !== 1) return undefined;
    const ready = await kubectl('get', 'node', names[0] as string, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}').catch(() => '');
    return ready === 'True' ? names[0] : undefined;
  }, 30_000, 200);
}

describe('MachineDeployment nodes in the simulator', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-machines-'));
    cluster = await startSimCluster({ nodes: 1, stateDir: dir, sshPort: 0, addressBase: block.base, timeScale: 0.05, workload: false, scheduledUpdateChecks: false });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('provisions an SSH-backed node per Machine and replaces it when disableAutoUpdate changes', async () => {
    writeFileSync(join(dir, 'md.yaml'), machineDeployment(true));
    await kubectl('apply', '-f', join(dir, 'md.yaml'));
    const first = await machineNode();
    assert.match(readFileSync(cluster.sshConfigPath, 'utf8'), new RegExp(`^Host ${block.host(2).replaceAll('.', '\\.')} ${first}$`, 'm'));
    assert.deepEqual(await ssh(cluster.sshConfigPath, first, 'systemctl is-enabled update-engine.service'), { stdout: 'masked\n', stderr: '', code: 1 });
    assert.match((await ssh(cluster.sshConfigPath, first, 'grep VERSION_ID /etc/os-release')).stdout, /^VERSION_ID="4757\.2\.3"\n$/);
    const osImage = await kubectl('get', 'node', first, '-o', 'jsonpath={.status.nodeInfo.osImage}');
    assert.equal(osImage, 'Flatcar Container Linux by Kinvolk 4757.2.3');

    writeFileSync(join(dir, 'md.yaml'), machineDeployment(false));
    await kubectl('apply', '-f', join(dir, 'md.yaml'));
    const second = await waitFor('the replacement node', async () => {
      const name = await machineNode();
      return name !== first ? name : undefined;
    }, 30_000, 200);
    assert.deepEqual(await ssh(cluster.sshConfigPath, second, 'systemctl is-active update-engine.service'), { stdout: 'active\n', stderr: '', code: 0 });
    // OSM with disableAutoUpdate false masks only locksmithd; update-engine runs from the image's vendor link.
    assert.deepEqual(await ssh(cluster.sshConfigPath, second, 'systemctl is-enabled update-engine.service locksmithd.service'), { stdout: 'disabled\nmasked\n', stderr: '', code: 1 });
    await waitFor('the old node to be removed', async () => (cluster.machines.some((m) => m.name === first) ? undefined : true), 30_000, 200);
    assert.doesNotMatch(readFileSync(cluster.sshConfigPath, 'utf8'), new RegExp(`\\b${first}\\b`));
    const events = readEvents(cluster.eventsPath);
    assert.deepEqual(
      events.filter((e) => e.kind === 'machine').map((e) => [e.node, e.to]),
      [[first, 'provisioned'], [second, 'provisioned'], [first, 'removed']],
    );
  });
});
