// `flatdeck rollout --machine-deployment MD` as an operator runs it (its own process) against the simulator,
// whose built-in API server provisions an SSH-backed node per Kubermatic Machine: exactly the MD's nodes are
// updated, none is left cordoned, the fleet's other nodes are untouched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { waitFor } from '../support/wait-for.ts';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck, publishNewReleases } from './pipeline-cli.ts';
import { maxConcurrentReboots, readSimEvents, simMachine } from './pipeline-world.ts';

const machines = { group: 'cluster.k8s.io', version: 'v1alpha1', namespace: 'kube-system' };

describe('flatdeck rollout --machine-deployment on the simulator', () => {
  const w = guardedWorld({ nodes: 2 });

  it('updates exactly the MachineDeployment\'s nodes, one reboot at a time, none left cordoned', async () => {
    const custom = w.kc.makeApiClient(CustomObjectsApi);
    const core = w.kc.makeApiClient(CoreV1Api);
    await custom.createNamespacedCustomObject({
      ...machines,
      plural: 'machinedeployments',
      body: {
        apiVersion: 'cluster.k8s.io/v1alpha1',
        kind: 'MachineDeployment',
        metadata: { name: 'pool1', namespace: machines.namespace },
        spec: {
          replicas: 2,
          selector: { matchLabels: { pool: 'pool1' } },
          template: { metadata: { labels: { pool: 'pool1' } }, spec: { providerSpec: { value: { operatingSystem: 'flatcar', operatingSystemSpec: { disableAutoUpdate: true } } } } },
        },
      },
    });
    const mdNodes = await waitFor('pool1\'s two nodes Ready', async () => {
      const list = (await custom.listNamespacedCustomObject({ ...machines, plural: 'machines', labelSelector: 'machinedeployment=pool1' })) as { items: Array<{ status?: { nodeRef?: { name?: string } } }> };
      const names = list.items.flatMap((m) => (m.status?.nodeRef?.name ? [m.status.nodeRef.name] : []));
      if (names.length !== 2) return undefined;
      const ready = await Promise.all(names.map(async (name) => (await core.readNode({ name })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true));
      return ready.every(Boolean) ? names.sort() : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    const others = w.sim.nodes.map((n) => n.name);
    assert.equal(others.some((n) => mdNodes.includes(n)), false, 'the MD\'s nodes are new machines, not the fleet\'s');
    const machine = (name: string) => simMachine(w.sim, name);
    const othersBefore = new Map(others.map((n) => [n, { version: machine(n).osRelease().versionId, bootId: machine(n).bootId() }]));

    const wanted = publishNewReleases(w.sim);
    const started = performance.now();
    const run = flatdeck(w.sim, cliDataDir(w), ['rollout', '--machine-deployment', 'pool1', ...fastFlags]);
    const { code } = await finished(run);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(code, 0, `${run.lines.slice(-15).join('\n')}\n${run.stderr()}`);
    assert.match(run.lines.at(-1) ?? '', /succeeded/);

    for (const name of mdNodes) {
      const m = machine(name);
      assert.equal(m.osRelease().versionId, wanted[m.channel()], `${name} on the new version`);
      const node = await core.readNode({ name });
      assert.notEqual(node.spec?.unschedulable, true, `${name} not cordoned`);
    }
    for (const name of others) {
      assert.deepEqual({ version: machine(name).osRelease().versionId, bootId: machine(name).bootId() }, othersBefore.get(name), `${name} untouched`);
      const node = await core.readNode({ name });
      assert.notEqual(node.spec?.unschedulable, true, `${name} not cordoned`);
    }
    const events = readSimEvents(w.sim.eventsPath);
    assert.deepEqual([...new Set(events.filter((e) => e.kind === 'reboot-start').map((e) => e.node))].sort(), mdNodes, 'only the MD\'s nodes rebooted');
    assert.ok(maxConcurrentReboots(events) <= 1, 'never two nodes rebooting at once');
    console.log(`rollout of MachineDeployment pool1 (2 nodes) took ${seconds.toFixed(1)} s`);
  });
});
