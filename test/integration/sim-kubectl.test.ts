// The real kubectl against the simulated API server: reading nodes and pods, label/annotate, cordon/uncordon,
// a drain that a PodDisruptionBudget blocks until it allows a disruption, and applying the FLUO bundle
// client-side and server-side. Nodes here have no kubelet, so the server's stand-in runs their pods and
// deletions complete at once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube-api/server.ts';
import { KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { DEBIAN_KUBECTL, goBuiltKubectl } from '../support/kubectl.ts';
import { runKubectl, type KubectlResult } from '../support/run-kubectl.ts';
import { isExecutable } from '../support/cluster-binaries.ts';
import { waitFor } from '../support/wait-for.ts';

interface PodList { items: Array<{ metadata: { name: string; namespace: string; uid: string }; spec: { nodeName?: string }; status?: { phase?: string } }> }
interface NodeObject { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { unschedulable?: boolean; taints?: Array<{ key: string }> } }

function flatcarNode(name: string, address: string): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/worker': '' } },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
      addresses: [{ type: 'InternalIP', address }, { type: 'Hostname', address: name }],
      nodeInfo: {
        osImage: 'Flatcar Container Linux by Kinvolk 4081.2.0 (Oklo)', kernelVersion: '6.6.60-flatcar', kubeletVersion: 'v1.36.3',
        containerRuntimeVersion: 'containerd://1.7.23', operatingSystem: 'linux', architecture: 'amd64', bootID: `boot-${name}`,
        machineID: `machine-${name}`, systemUUID: `uuid-${name}`, kubeProxyVersion: '',
      },
    },
  };
}

const webDeployment = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 2, selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], volumes: [{ name: 'cache', emptyDir: {} }] },
    },
  },
};

const agentDaemonSet = {
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'kube-system' },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'busybox:1.36' }] } },
  },
};

// Every kubectl at hand: the Go-built 1.36 (test/cluster/build) and Debian's.
const binaries = [...new Set([goBuiltKubectl(), DEBIAN_KUBECTL].filter((b): b is string => b !== null && isExecutable(b)))];

for (const binary of binaries) describe(`real kubectl (${binary}) against the simulated API server`, () => {
  let server: KubeApiServer;
  let dir: string;
  let kubeconfig: string;
  let api: KubeRestClient;
  const kubectl = (...args: string[]): Promise<KubectlResult> => runKubectl(kubeconfig, args, { binary, timeoutMs: 60_000 });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const podsOn = async (node: string) =>
    (await api.get<PodList>(`/api/v1/pods?fieldSelector=spec.nodeName%3D${node}`)).items;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flatdeck-sim-kubectl-'));
    server = await startKubeApiServer({ stateDir: dir, port: 0, timeScale: 0.05 });
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, server.adminKubeconfig(), { mode: 0o600 });
    api = await KubeRestClient.fromKubeconfigFile(kubeconfig);
    await api.call('POST', '/api/v1/nodes', flatcarNode('flatcar-1', '127.10.0.1'));
    await api.call('POST', '/api/v1/nodes', flatcarNode('flatcar-2', '127.10.0.2'));
    await api.call('POST', '/apis/apps/v1/namespaces/default/deployments', webDeployment);
    await api.call('POST', '/apis/apps/v1/namespaces/kube-system/daemonsets', agentDaemonSet);
    await waitFor('web and agent pods running', async () => {
      const pods = (await api.get<PodList>('/api/v1/pods')).items;
      return pods.filter((p) => p.status?.phase === 'Running').length === 4;
    });
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('get nodes -o wide prints the real columns with addresses, OS image, kernel and runtime', async () => {
    const out = await ok('get', 'nodes', '-o', 'wide');
    const [header, ...rows] = out.trim().split('\n');
    assert.match(header ?? '', /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/);
    assert.equal(rows.length, 2);
    assert.match(rows[0] ?? '', /^flatcar-1\s+Ready\s+worker\s+\S+\s+v1\.36\.3\s+127\.10\.0\.1\s+<none>\s+Flatcar Container Linux by Kinvolk 4081\.2\.0 \(Oklo\)\s+6\.6\.60-flatcar\s+containerd:\/\/1\.7\.23$/);
  });

  it('get pods -A lists the workload in every namespace', async () => {
    const out = await ok('get', 'pods', '-A', '-o', 'wide');
    assert.match(out.split('\n')[0] ?? '', /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    assert.equal(out.match(/^default\s+web-\S+\s+1\/1\s+Running\s+0\s/gm)?.length, 2);
    assert.equal(out.match(/^kube-system\s+agent-\S+\s+1\/1\s+Running/gm)?.length, 2);
    const json = JSON.parse(await ok('get', 'pods', '-n', 'default', '-l', 'app=web', '-o', 'json')) as PodList;
    assert.equal(json.items.length, 2);
  });

  it('label and annotate change the node, and --overwrite is needed to replace', async () => {
    await ok('label', 'node', 'flatcar-1', 'flatcar-linux-update.v1.flatcar-linux.net/id=flatcar');
    await ok('annotate', 'node', 'flatcar-1', 'flatcar-linux-update.v1.flatcar-linux.net/reboot-needed=true');
    const refused = await kubectl('annotate', 'node', 'flatcar-1', 'flatcar-linux-update.v1.flatcar-linux.net/reboot-needed=false');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--overwrite is false but found the following declared annotation\(s\): '[^']+reboot-needed' already has a value \(true\)/);
    await ok('annotate', 'node', 'flatcar-1', '--overwrite', 'flatcar-linux-update.v1.flatcar-linux.net/reboot-needed=false');
    const node = await api.get<NodeObject>('/api/v1/nodes/flatcar-1');
    assert.equal(node.metadata.labels?.['flatcar-linux-update.v1.flatcar-linux.net/id'], 'flatcar');
    assert.equal(node.metadata.annotations?.['flatcar-linux-update.v1.flatcar-linux.net/reboot-needed'], 'false');
    await ok('label', 'node', 'flatcar-1', 'flatcar-linux-update.v1.flatcar-linux.net/id-');
    assert.equal((await api.get<NodeObject>('/api/v1/nodes/flatcar-1')).metadata.labels?.['flatcar-linux-update.v1.flatcar-linux.net/id'], undefined);
  });

  it('cordon and uncordon toggle spec.unschedulable and the unschedulable taint', async () => {
    assert.match(await ok('cordon', 'flatcar-2'), /node\/flatcar-2 cordoned/);
    assert.match(await ok('get', 'node', 'flatcar-2'), /Ready,SchedulingDisabled/);
    await waitFor('unschedulable taint', async () =>
      (await api.get<NodeObject>('/api/v1/nodes/flatcar-2')).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unschedulable'));
    assert.match(await ok('uncordon', 'flatcar-2'), /node\/flatcar-2 uncordoned/);
    const node = await api.get<NodeObject>('/api/v1/nodes/flatcar-2');
    assert.equal(node.spec?.unschedulable, undefined);
    await waitFor('taint removed', async () =>
      !(await api.get<NodeObject>('/api/v1/nodes/flatcar-2')).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unschedulable'));
  });

  it('drain is blocked while the PDB allows no disruption, then empties the node once it does', async () => {
    await api.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
    });
    await waitFor('PDB status computed', async () =>
      (await api.get<{ status?: { currentHealthy?: number } }>('/apis/policy/v1/namespaces/default/poddisruptionbudgets/web')).status?.currentHealthy === 2);
    const before = (await podsOn('flatcar-1')).filter((p) => p.metadata.name.startsWith('web-'));
    assert.equal(before.length, 1, 'one web replica runs on flatcar-1');

    const blocked = await kubectl('drain', 'flatcar-1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=3s');
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr, /Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.match(blocked.stderr, /global timeout reached: 3s/);
    assert.ok((await podsOn('flatcar-1')).some((p) => p.metadata.uid === before[0]?.metadata.uid), 'the guarded pod is still there');

    await ok('patch', 'pdb', 'web', '-n', 'default', '--type=merge', '-p', '{"spec":{"minAvailable":1}}');
    await waitFor('PDB allows one disruption', async () =>
      (await api.get<{ status?: { disruptionsAllowed?: number } }>('/apis/policy/v1/namespaces/default/poddisruptionbudgets/web')).status?.disruptionsAllowed === 1);
    const drained = await kubectl('drain', 'flatcar-1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=30s');
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, new RegExp(`pod/${before[0]?.metadata.name} evicted`));
    assert.match(drained.stdout, /node\/flatcar-1 drained/);
    const left = await podsOn('flatcar-1');
    assert.deepEqual(left.map((p) => p.metadata.name.split('-')[0]), ['agent'], 'only the DaemonSet pod stays');
    await waitFor('replacement web pod running on flatcar-2', async () =>
      (await podsOn('flatcar-2')).filter((p) => p.metadata.name.startsWith('web-') && p.status?.phase === 'Running').length === 2);
    await ok('uncordon', 'flatcar-1');
  });

  it('RBAC for a non-admin user: Forbidden and auth can-i "no" until a binding grants the verbs', async () => {
    const bobConfig = join(dir, 'bob.kubeconfig');
    writeFileSync(bobConfig, server.userKubeconfig('bob', ['flatdeck-operators']), { mode: 0o600 });
    const bob = (...args: string[]) => runKubectl(bobConfig, args, { binary, timeoutMs: 60_000 });
    const denied = await bob('get', 'nodes');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Error from server \(Forbidden\): nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope/);
    const cannot = await bob('auth', 'can-i', 'patch', 'nodes');
    assert.equal(cannot.stdout.trim(), 'no');
    await ok('create', 'clusterrole', 'node-operator', '--verb=get,list,patch', '--resource=nodes');
    await ok('create', 'clusterrolebinding', 'node-operators', '--clusterrole=node-operator', '--group=flatdeck-operators');
    assert.equal((await bob('auth', 'can-i', 'patch', 'nodes')).stdout.trim(), 'yes');
    assert.equal((await bob('auth', 'can-i', 'delete', 'nodes')).stdout.trim(), 'no');
    assert.equal((await kubectl('auth', 'can-i', 'patch', 'nodes', '--as=carol', '--as-group=flatdeck-operators')).stdout.trim(), 'yes', 'impersonation');
    assert.equal((await kubectl('auth', 'can-i', 'patch', 'nodes', '--as=system:serviceaccount:default:default')).stdout.trim(), 'no');
    const cordon = await bob('cordon', 'flatcar-2');
    assert.equal(cordon.code, 0, cordon.stderr);
    assert.equal((await ok('uncordon', 'flatcar-2')).trim(), 'node/flatcar-2 uncordoned');
  });

  it('apply -f of the FLUO bundle, client-side: created, unchanged, then merged with a foreign edit', async () => {
    const bundle = new URL('../../deploy/fluo/fluo.yaml', import.meta.url).pathname;
    const created = await ok('apply', '-f', bundle);
    assert.match(created, /namespace\/reboot-coordinator created/);
    assert.match(created, /deployment\.apps\/flatcar-linux-update-operator created/);
    assert.match(created, /daemonset\.apps\/flatcar-linux-update-agent created/);
    assert.match(created, /clusterrolebinding\.rbac\.authorization\.k8s\.io\/\S+ created/);
    const again = await ok('apply', '-f', bundle);
    assert.doesNotMatch(again, /created|configured/);
    assert.match(again, /deployment\.apps\/flatcar-linux-update-operator unchanged/);
    await ok('set', 'env', '-n', 'reboot-coordinator', 'deployment/flatcar-linux-update-operator', 'EXTRA=1');
    const reverted = await ok('apply', '-f', bundle);
    assert.match(reverted, /deployment\.apps\/flatcar-linux-update-operator (configured|unchanged)/);
    const operator = await api.get<{ spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string }> }> } } } }>(
      '/apis/apps/v1/namespaces/reboot-coordinator/deployments/flatcar-linux-update-operator');
    const env = operator.spec.template.spec.containers[0]?.env?.map((e) => e.name) ?? [];
    assert.deepEqual(env, ['POD_NAMESPACE', 'EXTRA'], 'the three-way merge keeps a variable another writer added (merged by name)');
    await waitFor('agent DaemonSet pods on both nodes', async () =>
      (await api.get<PodList>('/api/v1/namespaces/reboot-coordinator/pods?labelSelector=app%3Dflatcar-linux-update-agent')).items.length === 2);
    await ok('delete', '-f', bundle, '--wait=true', '--ignore-not-found');
    await waitFor('namespace removed', async () => (await api.raw('GET', '/api/v1/namespaces/reboot-coordinator')).status === 404);
  });

  it('apply --server-side of the FLUO bundle: applied twice without changes, then removed', async () => {
    const bundle = new URL('../../deploy/fluo/fluo.yaml', import.meta.url).pathname;
    const first = await ok('apply', '--server-side', '-f', bundle);
    assert.match(first, /deployment\.apps\/flatcar-linux-update-operator serverside-applied/);
    const deployment = await api.get<{ metadata: { resourceVersion: string; managedFields?: Array<{ manager: string; operation: string }> } }>(
      '/apis/apps/v1/namespaces/reboot-coordinator/deployments/flatcar-linux-update-operator');
    assert.ok(deployment.metadata.managedFields?.some((f) => f.manager === 'kubectl' && f.operation === 'Apply'));
    const role = await api.get<{ metadata: { resourceVersion: string } }>('/apis/rbac.authorization.k8s.io/v1/namespaces/reboot-coordinator/roles/flatcar-linux-update-operator');
    await ok('apply', '--server-side', '-f', bundle);
    const roleAfter = await api.get<{ metadata: { resourceVersion: string } }>('/apis/rbac.authorization.k8s.io/v1/namespaces/reboot-coordinator/roles/flatcar-linux-update-operator');
    assert.equal(roleAfter.metadata.resourceVersion, role.metadata.resourceVersion, 'a no-op apply writes nothing');
    const conflict = await kubectl('apply', '--server-side', '--field-manager=someone-else', '-f', bundle,
      '--dry-run=server', '-o', 'name');
    assert.equal(conflict.code, 0, 'same values are shared ownership, not a conflict');
    await ok('delete', '-f', bundle, '--wait=true', '--ignore-not-found');
  });
});
