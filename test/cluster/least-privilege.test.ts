// deploy/rbac.yaml on the real control plane: an operator bound only through it can do everything flatdeck does
// (inventory, cordon, drain by eviction, the Lease lock, MachineDeployments, events, FLUO install with the
// auto-update roles), and anything else is a 403 that flatdeck turns into a message naming verb and resource;
// the auto-update roles never reach beyond FLUO's own objects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeHttpError } from '../../app/cluster/connection.ts';
import { classifyKubeError } from '../../app/cluster/errors.ts';
import { applyFluo, removeFluo } from '../../app/cluster/fluo-install.ts';
import { kubeLeaseStore, LeaseLock } from '../../app/cluster/lease-lock.ts';
import { ContentType, KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { objectPath } from '../../sim/kubelet/workload.ts';
import { readManifests } from '../support/manifests.ts';
import { realClusterSkip } from '../support/real-cluster.ts';
import { startRealEnvironment, type RealEnvironment } from '../support/real-environment.ts';
import { runKubectl } from '../support/run-kubectl.ts';
import { ScriptedNode } from '../support/scripted-node.ts';
import { waitFor } from '../support/wait-for.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const skip = realClusterSkip();
const OPERATOR = 'jane';
const nodes = [new ScriptedNode('flatcar-rbac-1', block.host(1)), new ScriptedNode('flatcar-rbac-2', block.host(2))];

interface Pod {
  metadata: { name: string; namespace: string; ownerReferences?: Array<{ kind: string }> };
  spec: { nodeName?: string };
  status?: { phase?: string };
}

describe('least privilege: deploy/rbac.yaml on the real control plane', { skip }, () => {
  let env: RealEnvironment;
  let operatorKubeconfig: string;
  let operator: KubeRestClient;

  before(async () => {
    env = await startRealEnvironment({ nodes, timeScale: 0.05, workload: true });
    const applied = await runKubectl(env.cluster.kubeconfigPath, ['apply', '-f', new URL('../../deploy/rbac.yaml', import.meta.url).pathname]);
    assert.equal(applied.code, 0, applied.stderr);
    operatorKubeconfig = await env.userKubeconfig(OPERATOR, ['flatdeck:operators']);
    operator = await KubeRestClient.fromKubeconfigFile(operatorKubeconfig);
    await waitFor('the workload running on the kubelet-role nodes', async () => {
      const pods = await env.admin.get<{ items: Pod[] }>('/api/v1/namespaces/shop/pods');
      return pods.items.length >= 8 && pods.items.every((p) => p.status?.phase === 'Running');
    }, { timeoutMs: 120_000 });
  });
  after(async () => {
    await env?.stop();
  });

  it('reads what the inventory and the drain pre-flight read', async () => {
    const node = nodes[0]!.name;
    for (const path of [
      '/api/v1/nodes',
      `/api/v1/nodes/${node}`,
      `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`,
      '/api/v1/namespaces/shop/pods',
      '/apis/policy/v1/poddisruptionbudgets',
      '/apis/policy/v1/namespaces/shop/poddisruptionbudgets/web',
      '/apis/apps/v1/daemonsets',
      '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy',
      '/apis/apps/v1/replicasets',
      '/apis/apps/v1/namespaces/shop/statefulsets/db',
      '/api/v1/namespaces/shop',
      '/apis/cluster.k8s.io/v1alpha1/machinedeployments',
    ]) {
      const res = await operator.raw('GET', path);
      assert.equal(res.status, 200, `GET ${path}: ${JSON.stringify(res.body)}`);
    }
    const watch = await operator.raw('GET', '/api/v1/nodes?watch=1&timeoutSeconds=1');
    assert.equal(watch.status, 200, 'nodes can be watched');
  });

  it('cordons and uncordons by patch, records events, edits MachineDeployments', async () => {
    const path = `/api/v1/nodes/${nodes[1]!.name}`;
    await operator.call('PATCH', path, { spec: { unschedulable: true } }, ContentType.strategic);
    const node = await operator.get<{ spec: { unschedulable?: boolean } }>(path);
    assert.equal(node.spec.unschedulable, true);
    await operator.call('PATCH', path, { spec: { unschedulable: false } }, ContentType.strategic);
    assert.equal((await operator.get<{ spec: { unschedulable?: boolean } }>(path)).spec.unschedulable, undefined);
    await operator.call('POST', '/api/v1/namespaces/default/events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `flatdeck-rbac.${Date.now()}`, namespace: 'default' },
      involvedObject: { kind: 'Node', name: nodes[1]!.name, apiVersion: 'v1' },
      reason: 'FlatdeckCordon',
      message: 'cordoned by flatdeck for a Flatcar update',
      type: 'Normal',
      source: { component: 'flatdeck' },
    });
    await env.admin.call('POST', '/apis/cluster.k8s.io/v1alpha1/namespaces/kube-system/machinedeployments', {
      apiVersion: 'cluster.k8s.io/v1alpha1',
      kind: 'MachineDeployment',
      metadata: { name: 'workers', namespace: 'kube-system' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { workerset: 'workers' } },
        template: { metadata: { labels: { workerset: 'workers' } }, spec: { providerSpec: { value: { operatingSystem: 'flatcar', operatingSystemSpec: { disableAutoUpdate: false } } } } },
      },
    });
    const patched = await operator.call<{ spec: { template: { spec: { providerSpec: { value: { operatingSystemSpec: { disableAutoUpdate: boolean } } } } } } }>(
      'PATCH',
      '/apis/cluster.k8s.io/v1alpha1/namespaces/kube-system/machinedeployments/workers',
      { spec: { template: { spec: { providerSpec: { value: { operatingSystemSpec: { disableAutoUpdate: true } } } } } } },
      ContentType.merge,
    );
    assert.equal(patched.spec.template.spec.providerSpec.value.operatingSystemSpec.disableAutoUpdate, true);
  });

  it('holds the update Lease in flatdeck-system with flatdeck’s own lock', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(operatorKubeconfig);
    const lock = new LeaseLock({ store: kubeLeaseStore(kc, 'flatdeck-system', 'flatdeck'), namespace: 'flatdeck-system', name: 'flatdeck', identity: `${OPERATOR}@test`, leaseDurationSeconds: 30 });
    assert.equal(await lock.tryAcquireOrRenew(), true);
    assert.equal(await lock.confirmHeld(), true);
    assert.equal(await lock.tryAcquireOrRenew(), true, 'renewal is an update');
    assert.equal(await lock.release(), true);
  });

  it('drains a node with the Go-built kubectl as the operator (evictions honour the PDBs)', async () => {
    const node = nodes[0]!.name;
    const drained = await runKubectl(operatorKubeconfig, ['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=180s'], {
      timeoutMs: 200_000,
    });
    assert.equal(drained.code, 0, `${drained.stdout}\n${drained.stderr}`);
    assert.match(drained.stdout, new RegExp(`node/${node} drained`));
    const left = await env.admin.get<{ items: Pod[] }>(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`);
    assert.ok(left.items.every((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet')), 'only DaemonSet pods stay');
    const uncordoned = await runKubectl(operatorKubeconfig, ['uncordon', node]);
    assert.equal(uncordoned.code, 0, uncordoned.stderr);
  });

  it('denies what flatdeck does not need with a 403 naming verb and resource', async () => {
    const cases: Array<{ method: string; path: string; verb: string; resource: string; body?: unknown }> = [
      { method: 'DELETE', path: `/api/v1/nodes/${nodes[1]!.name}`, verb: 'delete', resource: 'nodes' },
      { method: 'GET', path: '/api/v1/namespaces/kube-system/secrets', verb: 'list', resource: 'secrets' },
      { method: 'POST', path: '/api/v1/namespaces/shop/pods', verb: 'create', resource: 'pods', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } } },
      { method: 'GET', path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler', verb: 'get', resource: 'leases' },
      { method: 'PATCH', path: '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy', verb: 'patch', resource: 'daemonsets', body: { metadata: { labels: { x: 'y' } } } },
      { method: 'PATCH', path: `/api/v1/nodes/${nodes[1]!.name}/status`, verb: 'patch', resource: 'nodes/status', body: { status: {} } },
      // Rights flatdeck's code never uses: a full node update (it patches) and deleting the Lease (release empties it).
      { method: 'PUT', path: `/api/v1/nodes/${nodes[1]!.name}`, verb: 'update', resource: 'nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: nodes[1]!.name } } },
      { method: 'DELETE', path: '/apis/coordination.k8s.io/v1/namespaces/flatdeck-system/leases/flatdeck', verb: 'delete', resource: 'leases' },
    ];
    for (const c of cases) {
      const res = await operator.raw<{ reason: string; message: string }>(c.method, c.path, c.body, c.method === 'PATCH' ? ContentType.merge : undefined);
      assert.equal(res.status, 403, `${c.method} ${c.path}`);
      assert.equal(res.body.reason, 'Forbidden');
      assert.match(res.body.message, new RegExp(`User "${OPERATOR}" cannot ${c.verb} resource "${c.resource.replace('/', '\\/')}"`));
      const surfaced = classifyKubeError(new KubeHttpError(403, JSON.stringify(res.body)), { cluster: 'real-test' });
      assert.equal(surfaced.kind, 'forbidden');
      assert.match(surfaced.message, new RegExp(`User "${OPERATOR}" may not ${c.verb} ${c.resource.replace('/', '\\/')}`), surfaced.message);
    }
  });

  it('with flatdeck-auto-update bound, installs and removes FLUO by server-side apply', async () => {
    const manifests = readManifests('deploy/fluo/fluo.yaml');
    const agent = manifests.find((m) => m.kind === 'DaemonSet')!;
    const unbound = await operator.raw('PATCH', `${objectPath(agent)}?fieldManager=flatdeck`, JSON.stringify(agent), ContentType.apply);
    assert.equal(unbound.status, 403, 'flatdeck alone cannot install FLUO');
    await bindAutoUpdate();
    await waitFor('the bindings to take effect', async () =>
      (await operator.raw('PATCH', `${objectPath(agent)}?fieldManager=flatdeck&dryRun=All`, JSON.stringify(agent), ContentType.apply)).status !== 403,
    );
    const kc = new KubeConfig();
    kc.loadFromFile(operatorKubeconfig);
    const applied = await applyFluo(kc, null);
    assert.deepEqual(applied.filter((o) => o.action !== 'applied').map((o) => `${o.object}: ${o.action}`), ['Namespace/reboot-coordinator: kept-not-ours']);
    const agentLive = await env.admin.get<{ metadata: { labels: Record<string, string> } }>('/apis/apps/v1/namespaces/reboot-coordinator/daemonsets/flatcar-linux-update-agent');
    assert.equal(agentLive.metadata.labels['app.kubernetes.io/managed-by'], 'flatdeck');
    const removed = await removeFluo(kc);
    assert.deepEqual(removed.filter((o) => o.action !== 'deleted').map((o) => `${o.object}: ${o.action}`), ['Namespace/reboot-coordinator: kept-not-ours']);
    for (const m of manifests.filter((x) => x.kind !== 'Namespace')) {
      const left = await env.admin.raw('GET', objectPath(m));
      assert.equal(left.status, 404, `${m.kind}/${m.metadata.name} is gone`);
    }
    assert.equal((await env.admin.raw('GET', '/api/v1/namespaces/reboot-coordinator')).status, 200, 'the admin’s namespace (holding flatdeck’s Role) stays');
  });

  // Without the narrowing, create on workloads in every namespace was cluster-admin in practice: a DaemonSet in
  // kube-system under any of its ServiceAccounts.
  it('with flatdeck-auto-update bound, still cannot start workloads outside FLUO’s namespace or grant roles beyond FLUO’s', async () => {
    await bindAutoUpdate();
    const daemonSet = (namespace: string, name: string) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: 'default', containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] } },
      },
    });
    const bindingTo = (name: string, role: string) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: OPERATOR }],
    });
    const apply = (path: string, body: unknown) => operator.raw<{ message?: string }>('PATCH', `${path}?fieldManager=flatdeck`, JSON.stringify(body), ContentType.apply);
    const attempts: Array<[string, Promise<{ status: number; body: { message?: string } }>]> = [
      ['create a DaemonSet in kube-system', operator.raw('POST', '/apis/apps/v1/namespaces/kube-system/daemonsets', daemonSet('kube-system', 'x'))],
      ['apply FLUO’s agent DaemonSet name in kube-system', apply('/apis/apps/v1/namespaces/kube-system/daemonsets/flatcar-linux-update-agent', daemonSet('kube-system', 'flatcar-linux-update-agent'))],
      ['create another DaemonSet in reboot-coordinator', operator.raw('POST', '/apis/apps/v1/namespaces/reboot-coordinator/daemonsets', daemonSet('reboot-coordinator', 'x'))],
      ['bind cluster-admin by a new ClusterRoleBinding', operator.raw('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', bindingTo('mine', 'cluster-admin'))],
      ['bind cluster-admin under FLUO’s binding name', apply('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/flatcar-linux-update-agent', bindingTo('flatcar-linux-update-agent', 'cluster-admin'))],
      [
        'widen FLUO’s ClusterRole to everything',
        apply('/apis/rbac.authorization.k8s.io/v1/clusterroles/flatcar-linux-update-agent', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'flatcar-linux-update-agent' },
          rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
        }),
      ],
      [
        'create a RoleBinding in kube-system',
        operator.raw('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings', {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'mine', namespace: 'kube-system' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'flatcar-linux-update-agent' },
          subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: OPERATOR }],
        }),
      ],
      ['delete the namespace', operator.raw('DELETE', '/api/v1/namespaces/reboot-coordinator')],
    ];
    for (const [what, attempt] of attempts) {
      const res = await attempt;
      assert.equal(res.status, 403, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    assert.equal((await env.admin.raw('GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/mine')).status, 404);
  });

  /** What deploy/rbac.yaml tells the admin to run to turn the auto-update toggle on for the operators. */
  async function bindAutoUpdate(): Promise<void> {
    for (const args of [
      ['create', 'clusterrolebinding', 'flatdeck-auto-update', '--clusterrole=flatdeck-auto-update', '--group=flatdeck:operators'],
      ['-n', 'reboot-coordinator', 'create', 'rolebinding', 'flatdeck-auto-update', '--role=flatdeck-auto-update', '--group=flatdeck:operators'],
    ]) {
      const r = await runKubectl(env.cluster.kubeconfigPath, args);
      assert.ok(r.code === 0 || /already exists/.test(r.stderr), r.stderr);
    }
  }
});
