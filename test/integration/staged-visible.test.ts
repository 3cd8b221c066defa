// Issue 13, "what must hold" 1: a staged update is never hidden. A run stopped after the download leaves the node
// staged; `flatdeck nodes --json` (another process, reading only the Node objects) says which version its next
// reboot boots, and a hand-back keeps saying so, or discards the update when the operator chose `discard`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { UpdateOptions } from '../../app/api/pipeline.ts';
import type { NodeRow } from '../../main/cli/commands/nodes.ts';
import { waitFor } from '../support/wait-for.ts';
import { guardedWorld } from './guarded-world.ts';
import { nodesRow, publishNewReleases } from './pipeline-cli.ts';
import { readSimEvents, simMachine } from './pipeline-world.ts';

const options = (extra: Partial<UpdateOptions> = {}) =>
  UpdateOptions.parse({ emptyDirPolicy: 'delete', unmanagedPodPolicy: 'delete', settleSeconds: 0, restoreAfterBootSeconds: 2, leaseDurationSeconds: 3, rebootTimeoutSeconds: 30, drainTimeoutSeconds: 60, ...extra });

describe('a staged update stays visible on the simulator', () => {
  const w = guardedWorld({ nodes: 3 });

  /** `flatdeck nodes --json` as another machine runs it: a fresh process with its own data folder. */
  async function listedNode(node: string, dataDir: string): Promise<NodeRow> {
    const row = await nodesRow(w.sim, dataDir, node, [], 60_000);
    assert.ok(row, `${node} listed`);
    return row;
  }

  const stagedAnnotation = async (node: string) => (await w.kc.makeApiClient(CoreV1Api).readNode({ name: node })).metadata?.annotations?.['flatdeck.io/staged-version'];

  /** Starts an update of `node` and cancels it once the download succeeded; returns the run's id and the staged version. */
  async function stopAfterDownload(node: string): Promise<{ runId: string; target: string }> {
    const wanted = publishNewReleases(w.sim);
    const machine = simMachine(w.sim, node);
    const run = await w.engine().start({ kind: 'single', nodes: [node], options: options() });
    await waitFor('the download to finish', () => w.events.some((e) => e.topic === 'step' && e.payload.runId === run.runId && e.payload.step === 'update' && e.payload.status === 'succeeded'), { timeoutMs: 60_000 });
    run.control.cancel();
    assert.equal((await run.done).status, 'cancelled');
    return { runId: run.runId, target: wanted[machine.channel()]! };
  }

  it('a run cancelled after the download: every instance lists the node as booting the staged version next; a hand-back keeps that record', async () => {
    const node = w.sim.nodes[0]!.name;
    const { runId, target } = await stopAfterDownload(node);

    const listed = await listedNode(node, `${w.dir}/other-machine`);
    assert.equal(listed.stagedVersion, target);
    assert.match(listed.attention ?? '', new RegExp(`^boots ${target.replaceAll('.', '\\.')} at its next reboot`));
    assert.notEqual(listed.version, target, 'still running the version it had');

    await w.engine({ dataDir: `${w.dir}/hand-back-machine` }).handBack(runId, options());
    const after = await listedNode(node, `${w.dir}/other-machine`);
    assert.equal(after.attention, null, 'the run is handed back');
    assert.equal(after.stagedVersion, target, 'update_engine still has it staged, so the record stays');
    assert.equal(simMachine(w.sim, node).bootedVersion() === target, false);
  });

  it('a hand-back with stagedUpdateOnStop discard discards the staged update and the record with it', async () => {
    const node = w.sim.nodes[1]!.name;
    const machine = simMachine(w.sim, node);
    const from = machine.bootedVersion();
    const { runId, target } = await stopAfterDownload(node);
    assert.equal(await stagedAnnotation(node), target);

    await w.engine({ dataDir: `${w.dir}/hand-back-machine` }).handBack(runId, options({ stagedUpdateOnStop: 'discard' }));
    assert.equal(await stagedAnnotation(node), undefined);
    assert.equal((await listedNode(node, `${w.dir}/other-machine`)).stagedVersion, null);
    const ups = () => readSimEvents(w.sim.eventsPath).filter((e) => e.node === node && e.kind === 'up').length;
    const before = ups();
    machine.requestReboot('panic');
    await waitFor(`${node} up after an unplanned reboot`, () => ups() > before && machine.isUp(), { timeoutMs: 30_000 });
    assert.equal(machine.bootedVersion(), from, 'the discarded update does not boot');
  });
});
