// The auto-update toggle on the real control plane (kube-apiserver 1.36 + controller-manager), as an operator
// bound only by deploy/rbac.yaml's roles (flatdeck + flatdeck-auto-update), with the simulator's SSH Flatcar
// nodes registered in that cluster: FLUO applies by server-side apply and is removed without orphans across
// on/off/on/off, a Kubermatic FLUO is left alone (reboot-paused instead), and MachineDeployment edits need the
// replica count as confirmation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fluoKeys } from '../../app/cluster/fluo.ts';
import { createService } from '../../app/service/index.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { realClusterSkip } from '../support/real-cluster.ts';
import { startRealEnvironment, type RealEnvironment } from '../support/real-environment.ts';
import { runKubectl } from '../support/run-kubectl.ts';
import { waitFor } from '../support/wait-for.ts';
import { ssh } from '../integration/sim-ssh-client.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const skip = realClusterSkip();
const KINDS = 'namespaces,serviceaccounts,clusterroles,clusterrolebindings,roles,rolebindings,deployments,daemonsets,configmaps';

describe('auto-update on the real control plane, as a least-privilege operator', { skip }, () => {
  let env: RealEnvironment;
  let sim: SimCluster;
  let service: ReturnType<typeof createService>;
  let cluster: string;
  const dir = mkdtempSync(join(tmpdir(), 'flatdeck-auto-update-real-'));

  const admin = async (...args: string[]) => {
    const r = await runKubectl(env.cluster.kubeconfigPath, args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** Every object of every kind FLUO's manifests use that carries flatdeck's label, cluster-wide. */
  const labelled = async () => (await admin('get', KINDS, '-A', '-l', 'app.kubernetes.io/managed-by=flatdeck', '-o', 'name')).trim().split('\n').filter(Boolean).sort();
  const toggle = async (enable: boolean) => {
    const plan = await service.call('autoUpdate.plan', { cluster, enable, options: { rebootWindow: null, disableMode: 'mask' } });
    return { plan, report: await service.call('autoUpdate.apply', { cluster, planId: plan.planId }) };
  };

  before(async () => {
    env = await startRealEnvironment({ nodes: [], timeScale: 0.05, workload: false });
    await admin('apply', '-f', new URL('../../deploy/rbac.yaml', import.meta.url).pathname);
    await admin('create', 'clusterrolebinding', 'flatdeck-auto-update', '--clusterrole=flatdeck-auto-update', '--group=flatdeck:operators');
    await admin('-n', 'reboot-coordinator', 'create', 'rolebinding', 'flatdeck-auto-update', '--role=flatdeck-auto-update', '--group=flatdeck:operators');
    const operatorKubeconfig = await env.userKubeconfig('ann', ['flatdeck:operators']);
    sim = await startSimCluster({ nodes: 2, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: block.base, timeScale: 0.05, workload: false, scheduledUpdateChecks: false, api: { kind: 'external', kubeconfig: env.cluster.kubeconfigPath } });
    await waitFor('2 Ready nodes', async () => (await admin('get', 'nodes', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}')).trim() === 'True True', { timeoutMs: 60_000 });
    service = createService({ kubeconfigPaths: [operatorKubeconfig], sshConfigPath: sim.sshConfigPath, knownHostsPath: sim.knownHostsPath, dataDir: join(dir, 'data'), loginShellPath: false });
    cluster = service.context.clusters.ids()[0]!;
    await service.call('clusters.connect', { cluster });
  });
  after(async () => {
    await service?.close();
    await sim?.stop();
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on / off / on / off: FLUO applied by server-side apply as "flatdeck", removed with nothing left behind', async () => {
    assert.deepEqual(await labelled(), []);
    for (const round of [1, 2]) {
      const on = await toggle(true);
      assert.deepEqual(on.report.results.filter((r) => !r.ok), [], `on #${round}`);
      assert.deepEqual(await labelled(), [
        'clusterrole.rbac.authorization.k8s.io/flatcar-linux-update-agent',
        'clusterrole.rbac.authorization.k8s.io/flatcar-linux-update-operator',
        'clusterrolebinding.rbac.authorization.k8s.io/flatcar-linux-update-agent',
        'clusterrolebinding.rbac.authorization.k8s.io/flatcar-linux-update-operator',
        'daemonset.apps/flatcar-linux-update-agent',
        'deployment.apps/flatcar-linux-update-operator',
        'role.rbac.authorization.k8s.io/flatcar-linux-update-operator',
        'rolebinding.rbac.authorization.k8s.io/flatcar-linux-update-operator',
        'serviceaccount/flatcar-linux-update-agent',
        'serviceaccount/flatcar-linux-update-operator-sa',
      ]);
      const managers = await admin('get', 'deployment', '-n', 'reboot-coordinator', 'flatcar-linux-update-operator', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}/{.metadata.managedFields[*].operation}');
      assert.match(managers, /flatdeck.*\/.*Apply/);
      for (const node of sim.machines.map((m) => m.name)) {
        assert.equal((await ssh(sim.sshConfigPath, node, 'systemctl is-active update-engine.service')).stdout, 'active\n', node);
        assert.equal((await ssh(sim.sshConfigPath, node, 'systemctl is-enabled locksmithd.service')).stdout, 'masked\n', node);
      }
      const status = await service.call('autoUpdate.status', { cluster });
      assert.equal(status.fluo.managedBy, 'flatdeck');
      assert.equal(status.fluo.version, 'v0.10.0-rc2');

      const off = await toggle(false);
      assert.deepEqual(off.report.results.filter((r) => !r.ok), [], `off #${round}`);
      assert.deepEqual(await labelled(), [], 'no orphans after off');
      // deploy/rbac.yaml's namespace holds flatdeck's Role: the admin's, so it stays (and is never terminating).
      assert.equal(await admin('get', 'namespace', 'reboot-coordinator', '-o', 'jsonpath={.status.phase}'), 'Active');
      for (const node of sim.machines.map((m) => m.name)) {
        assert.equal((await ssh(sim.sshConfigPath, node, 'systemctl is-enabled update-engine.service')).stdout, 'masked\n', node);
      }
    }
  });

  it('a Kubermatic FLUO (kube-system, v0.9.0) is never touched: off pauses reboots per node, on unpauses, nothing installed', async () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'flatcar-linux-update-agent', namespace: 'kube-system', labels: { 'app.kubernetes.io/name': 'flatcar-linux-update-agent' } },
      spec: {
        selector: { matchLabels: { app: 'flatcar-linux-update-agent' } },
        template: { metadata: { labels: { app: 'flatcar-linux-update-agent' } }, spec: { nodeSelector: { 'x-kubernetes.io/distribution': 'flatcar' }, containers: [{ name: 'update-agent', image: 'ghcr.io/flatcar/flatcar-linux-update-operator:v0.9.0' }] } },
      },
    };
    writeFileSync(join(dir, 'kkp.json'), JSON.stringify(ds));
    await admin('apply', '-f', join(dir, 'kkp.json'));

    const status = await service.call('autoUpdate.status', { cluster });
    assert.deepEqual([status.fluo.managedBy, status.fluo.namespace, status.fluo.version], ['kubermatic', 'kube-system', 'v0.9.0']);
    assert.ok(status.warnings.some((w) => /^FLUO v0\.9\.0 \(kubermatic\) crash-loops on nodes with a quoted \/etc\/os-release/.test(w)), status.warnings.join('\n'));

    const off = await toggle(false);
    assert.match(off.plan.notes.join('\n'), /managed by kubermatic \(kube-system, v0\.9\.0\) and is not removed/);
    assert.deepEqual(off.report.results.filter((r) => !r.ok), []);
    const paused = await admin('get', 'nodes', '-o', `jsonpath={.items[*].metadata.annotations.${fluoKeys.rebootPaused.replaceAll('.', '\\.')}}`);
    assert.equal(paused.trim(), 'true true');
    assert.equal((await admin('get', 'daemonset', '-n', 'kube-system', 'flatcar-linux-update-agent', '-o', 'name')).trim(), 'daemonset.apps/flatcar-linux-update-agent');

    const on = await toggle(true);
    assert.match(on.plan.notes.join('\n'), /flatdeck installs nothing/);
    assert.deepEqual(on.report.results.filter((r) => !r.ok), []);
    assert.deepEqual(await labelled(), [], 'nothing of flatdeck’s own installed next to Kubermatic’s');
    const unpaused = await admin('get', 'nodes', '-o', `jsonpath={.items[*].metadata.annotations.${fluoKeys.rebootPaused.replaceAll('.', '\\.')}}`);
    assert.equal(unpaused.trim(), '');
    await admin('delete', 'daemonset', '-n', 'kube-system', 'flatcar-linux-update-agent');
  });

  it('MachineDeployment auto-update: refused without the right replica count, applied as a merge patch with it', async () => {
    const md = {
      apiVersion: 'cluster.k8s.io/v1alpha1',
      kind: 'MachineDeployment',
      metadata: { name: 'pool', namespace: 'kube-system' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { pool: 'pool' } },
        template: { metadata: { labels: { pool: 'pool' } }, spec: { providerSpec: { value: { operatingSystem: 'flatcar', operatingSystemSpec: { disableAutoUpdate: true, disableLocksmithD: true } } } } },
      },
    };
    writeFileSync(join(dir, 'md.json'), JSON.stringify(md));
    await admin('apply', '-f', join(dir, 'md.json'));
    await assert.rejects(service.call('md.setAutoUpdate', { cluster, namespace: 'kube-system', name: 'pool', enabled: true, confirmReplacesNodes: 2 }), /replaces all 3 node\(s\).*confirm with 3, not 2/);
    assert.equal(await admin('get', 'md', '-n', 'kube-system', 'pool', '-o', 'jsonpath={.spec.template.spec.providerSpec.value.operatingSystemSpec.disableAutoUpdate}'), 'true');
    const result = await service.call('md.setAutoUpdate', { cluster, namespace: 'kube-system', name: 'pool', enabled: true, confirmReplacesNodes: 3 });
    assert.equal(result.disableAutoUpdate, false);
    const spec = JSON.parse(await admin('get', 'md', '-n', 'kube-system', 'pool', '-o', 'jsonpath={.spec.template.spec.providerSpec.value.operatingSystemSpec}')) as unknown;
    assert.deepEqual(spec, { disableAutoUpdate: false, disableLocksmithD: true }, 'only the one field changed');
  });
});
