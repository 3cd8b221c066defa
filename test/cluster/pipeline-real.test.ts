// Evidence on the real control plane (kube-apiserver, kube-controller-manager, scheduler built from Go
// modules) with the simulator's SSH Flatcar fleet registered by its kubelet role: flatdeck's pipeline updates
// one node end to end: real Lease (MicroTime), real merge-patch cordon, real Eviction API and PDBs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { UpdateOptions } from '../../app/api/pipeline.ts';
import type { PipelineEvent } from '../../app/pipeline/ports.ts';
import { PipelineEngine } from '../../app/pipeline/engine.ts';
import { FileJournal } from '../../app/pipeline/journal.ts';
import { SshPool } from '../../app/ssh/pool.ts';
import { SshConfigFile } from '../../app/ssh/ssh-config.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { realClusterSkip, startRealCluster, type RealCluster } from '../support/real-cluster.ts';
import { waitFor } from '../support/wait-for.ts';
import { simSshTarget } from '../integration/pipeline-world.ts';
import { openInventory, type OpenInventory } from '../support/cluster-inventory.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { guardFleet, type FleetGuard } from '../support/invariants-recorder.ts';

const block = loopbackBlock();

const skip = realClusterSkip();

describe('real control plane: flatdeck updates one simulated Flatcar node end to end', { skip }, () => {
  let cluster: RealCluster;
  let sim: SimCluster;
  let dir: string;
  let pool: SshPool;
  let kc: KubeConfig;
  let guard: FleetGuard;
  let nodes: OpenInventory;

  before(async () => {
    cluster = await startRealCluster();
    dir = mkdtempSync(join(tmpdir(), 'flatdeck-pipeline-real-'));
    sim = await startSimCluster({ nodes: 2, stateDir: join(dir, 'sim'), seed: 7, timeScale: 0.05, sshPort: 0, addressBase: block.base, api: { kind: 'external', kubeconfig: cluster.kubeconfigPath }, scheduledUpdateChecks: false, workload: true });
    kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    await waitFor('both nodes Ready', async () => (await core.listNode()).items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2, { timeoutMs: 120_000 });
    pool = new SshPool({
      prompter: { confirmHostKey: async () => false, askPassphrase: async () => null },
      sshConfig: await SshConfigFile.load(sim.sshConfigPath),
      knownHosts: { userKnownHostsFiles: [sim.knownHostsPath] },
      agentSocket: null,
    });
    guard = await guardFleet(kc, sim.eventsPath);
    nodes = openInventory(cluster.kubeconfigPath);
  });
  afterEach(() => guard.assertSafe());

  after(async () => {
    guard?.stop();
    await nodes?.close();
    await pool?.close();
    await sim?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const engineFor = (events: PipelineEvent[]) =>
    new PipelineEngine({
      clusterId: 'real',
      kubeConfig: kc,
      pool,
      inventory: nodes.inventory,
      resolveTarget: simSshTarget,
      journal: new FileJournal(join(dir, 'data')),
      dataDir: join(dir, 'data'),
      lock: { namespace: 'kube-system', name: 'flatdeck-update-lock' },
      emit: (e) => events.push(e),
    });
  const options = UpdateOptions.parse({ emptyDirPolicy: 'delete', unmanagedPodPolicy: 'delete', settleSeconds: 0, restoreAfterBootSeconds: 3, leaseDurationSeconds: 10, rebootTimeoutSeconds: 300, drainTimeoutSeconds: 180 });

  it('pre-flight, download, Lease, cordon, drain, reboot, verify, uncordon', async () => {
    const events: PipelineEvent[] = [];
    const engine = engineFor(events);
    const node = sim.nodes.find((n) => sim.releases.offer(n.channel, n.version))?.name ?? sim.nodes[0]!.name;
    const run = await engine.start({
      kind: 'single',
      nodes: [node],
      options,
    });
    const state = await run.done;
    const steps = events.flatMap((e) => (e.topic === 'step' && e.payload.status !== 'progress' ? [`${e.payload.step}:${e.payload.status}: ${e.payload.message}`] : []));
    assert.equal(state.status, 'succeeded', `${JSON.stringify(state.error)}\n${steps.join('\n')}`);
    const n = await kc.makeApiClient(CoreV1Api).readNode({ name: node });
    assert.notEqual(n.spec?.unschedulable, true);
    const machine = sim.machines.find((m) => m.name === node)!;
    if (state.nodes[0]?.phase === 'done') {
      assert.equal(machine.osRelease().versionId, state.nodes[0].toVersion);
      assert.notEqual(n.status?.nodeInfo?.bootID, undefined);
    }
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'flatdeck-update-lock', namespace: 'kube-system' });
    assert.equal(lease.spec?.holderIdentity ?? '', '', 'the real API server accepted our MicroTime writes and the release');
    assert.ok(lease.spec?.renewTime, 'renewTime was stored');
  });

  it('rollback: the release on the other USR partition boots after the Lease, cordon, drain and reboot; uncordoned, Lease released', async () => {
    const events: PipelineEvent[] = [];
    const engine = engineFor(events);
    const node = sim.nodes[1]!.name;
    const partitions = await engine.usrPartitions(node);
    assert.equal(partitions.rollback.kind, 'rollback', JSON.stringify(partitions));
    const previous = partitions.rollback.kind === 'rollback' ? partitions.rollback.version : '';
    const bootIdBefore = (await kc.makeApiClient(CoreV1Api).readNode({ name: node })).status?.nodeInfo?.bootID;
    const state = await (await engine.start({ kind: 'single', nodes: [node], options, action: 'rollback' })).done;
    const steps = events.flatMap((e) => (e.topic === 'step' && e.payload.status !== 'progress' ? [`${e.payload.step}:${e.payload.status}: ${e.payload.message}`] : []));
    assert.equal(state.status, 'succeeded', `${JSON.stringify(state.error)}\n${steps.join('\n')}`);
    assert.equal(sim.machines.find((m) => m.name === node)!.osRelease().versionId, previous);
    const n = await kc.makeApiClient(CoreV1Api).readNode({ name: node });
    assert.notEqual(n.spec?.unschedulable, true);
    assert.notEqual(n.status?.nodeInfo?.bootID, bootIdBefore, 'the real Node reports the new boot');
    assert.match(n.status?.nodeInfo?.osImage ?? '', new RegExp(previous.replaceAll('.', '\\.')));
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'flatdeck-update-lock', namespace: 'kube-system' });
    assert.equal(lease.spec?.holderIdentity ?? '', '');
  });

  it('--to-version: flatcar-update installs exactly the release asked for through the same pipeline, update-engine put back', async () => {
    const events: PipelineEvent[] = [];
    const engine = engineFor(events);
    const node = sim.nodes[0]!.name;
    const machine = sim.machines.find((m) => m.name === node)!;
    const unitBefore = machine.snapshot().units['update-engine.service']?.file;
    const state = await (await engine.start({ kind: 'single', nodes: [node], options, toVersion: '4593.2.0' })).done;
    const steps = events.flatMap((e) => (e.topic === 'step' && e.payload.status !== 'progress' ? [`${e.payload.step}:${e.payload.status}: ${e.payload.message}`] : []));
    assert.equal(state.status, 'succeeded', `${JSON.stringify(state.error)}\n${steps.join('\n')}`);
    assert.equal(machine.osRelease().versionId, '4593.2.0');
    const n = await kc.makeApiClient(CoreV1Api).readNode({ name: node });
    assert.notEqual(n.spec?.unschedulable, true);
    assert.match(n.status?.nodeInfo?.osImage ?? '', /4593\.2\.0/);
    await waitFor('update-engine put back as it was', async () => machine.snapshot().units['update-engine.service']?.file === unitBefore, { timeoutMs: 30_000 });
  });
});
