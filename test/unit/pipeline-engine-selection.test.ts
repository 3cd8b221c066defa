import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from '../../app/api/errors.ts';
import type { NodeSummary } from '../../app/api/nodes.ts';
import { summarizeNode } from '../../app/cluster/node-summary.ts';
import { PipelineEngine, type EngineInventory } from '../../app/pipeline/engine.ts';
import { MemoryJournal } from '../../app/pipeline/journal.ts';
import type { SshPool } from '../../app/ssh/pool.ts';
import { FakeCluster } from './pipeline-fakes.ts';
import { virtualClock } from '../support/virtual-clock.ts';

const node = (name: string, osImage: string, machineDeployment: string | null = null): NodeSummary =>
  summarizeNode({ metadata: { name }, status: { nodeInfo: { osImage } } }, machineDeployment);

function engineOver(nodes: NodeSummary[], refreshOwnership: () => Promise<void> = async () => undefined, labels: Record<string, Record<string, string>> = {}): PipelineEngine {
  const inventory: EngineInventory = { get: (name) => nodes.find((n) => n.name === name), nodes: () => nodes, refreshOwnership };
  const clock = virtualClock();
  const cluster = new FakeCluster(clock);
  for (const n of nodes) cluster.nodesByName.set(n.name, { metadata: { name: n.name, labels: labels[n.name] ?? {} } });
  return new PipelineEngine({
    clusterId: 'c',
    kubeConfig: new KubeConfig(),
    pool: {} as SshPool,
    inventory: async () => inventory,
    resolveTarget: (n) => ({ nodeName: n.name, host: n.name }),
    journal: new MemoryJournal(),
    dataDir: mkdtempSync(join(tmpdir(), 'flatdeck-engine-')),
    lock: { namespace: 'flatdeck-system', name: 'flatdeck-update-lock' },
    emit: () => undefined,
    clock,
    cluster,
  });
}

const fleet = [
  node('b', 'Flatcar Container Linux by Kinvolk 4230.2.10 (Oklo)', 'pool-a'),
  node('a', 'Flatcar Container Linux by Kinvolk 4230.2.9 (Oklo)', 'pool-b'),
  node('u', 'Ubuntu 24.04.2 LTS', 'pool-a'),
  node('c', 'Flatcar Container Linux by Kinvolk 4459.2.1', null),
];

describe('the engine picks a rollout’s nodes from the inventory', () => {
  it('all Flatcar nodes, the oldest version first (4230.2.9 before 4230.2.10)', async () => {
    assert.deepEqual(await engineOver(fleet).resolveSelection({ kind: 'all-flatcar' }, 'oldest-version-first'), ['a', 'b', 'c']);
    assert.deepEqual(await engineOver(fleet).resolveSelection({ kind: 'all-flatcar' }, 'name'), ['a', 'b', 'c']);
  });

  it('by zone: zone after zone (nodes without one last); by MachineDeployment: one after the other; each keeping the given order', async () => {
    const zone = (z: string) => ({ 'topology.kubernetes.io/zone': z, 'example.com/rack': `rack-of-${z}` });
    const picked = { kind: 'nodes' as const, nodes: ['c', 'b', 'a'] };
    const engine = engineOver(fleet, undefined, { a: zone('zone-a'), b: zone('zone-b'), c: {} });
    assert.deepEqual(await engine.resolveSelection(picked, 'by-zone'), ['a', 'b', 'c']);
    assert.deepEqual(await engine.resolveSelection(picked, 'by-zone', 'example.com/rack'), ['a', 'b', 'c']);
    assert.deepEqual(await engineOver(fleet, undefined, { a: zone('z'), b: zone('z'), c: zone('z') }).resolveSelection(picked, 'by-zone'), ['c', 'b', 'a']);
    assert.deepEqual(await engine.resolveSelection(picked, 'by-machine-deployment'), ['b', 'a', 'c'], 'pool-a, pool-b, then c without one');
  });

  it('a MachineDeployment’s nodes after re-reading ownership, and names an unknown node', async () => {
    let refreshed = 0;
    const engine = engineOver(fleet, async () => void refreshed++);
    assert.deepEqual(await engine.resolveSelection({ kind: 'machine-deployment', name: 'pool-a' }, 'as-given'), ['b', 'u']);
    assert.equal(refreshed, 1);
    await assert.rejects(engine.resolveSelection({ kind: 'nodes', nodes: ['a', 'zz'] }, 'as-given'), (e: unknown) => e instanceof ApiError && e.kind === 'not-found' && /zz/.test(e.message));
  });

  it('reports a 403 on Machines instead of finding no nodes', async () => {
    const forbidden = new ApiError('forbidden', 'machines.cluster.k8s.io is forbidden: User "jane" cannot list resource "machines"', { verb: 'list', resource: 'machines' });
    const engine = engineOver(fleet, async () => Promise.reject(forbidden));
    await assert.rejects(engine.resolveSelection({ kind: 'machine-deployment', name: 'pool-a' }, 'as-given'), (e: unknown) => e === forbidden);
  });
});
