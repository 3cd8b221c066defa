// The auto-update toggle on a simulator that runs FLUO's pods (the demo's `fluo: 'runtime'`): `flatdeck auto-update
// on` applies deploy/fluo/fluo.yaml and FLUO starts working on the fleet; `off` removes it and FLUO stops.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AutoUpdateStatus } from '../../app/api/auto-update.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import type { SimEvent } from '../../sim/fleet/events.ts';
import { readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { runFlatdeck } from '../support/run-flatdeck.ts';
import { waitFor } from '../support/wait-for.ts';

const P = 'flatcar-linux-update.v1.flatcar-linux.net/';
const dir = mkdtempSync(join(tmpdir(), 'flatdeck-fluo-toggle-'));
let sim: SimCluster;

const flatdeck = (...args: string[]) => runFlatdeck(dir, [...args, '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--data-dir', join(dir, 'data')]);

/** Which FLUO processes run now, by pod, from the fluo-role events. */
function runningRoles(events: readonly SimEvent[]): string[] {
  const running = new Map<string, string>();
  for (const e of events.filter((x) => x.kind === 'fluo-role')) {
    if (e.to === 'running') running.set(String(e.pod), `${String(e.role)}@${e.node}`);
    else running.delete(String(e.pod));
  }
  return [...running.values()].sort();
}

before(async () => {
  sim = await startSimCluster({ nodes: 3, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: loopbackBlock().base, timeScale: 0.05, scheduledUpdateChecks: false, workload: false, fluo: 'runtime' });
});

after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the auto-update toggle with FLUO running in the simulator', () => {
  it('on: FLUO runs on every node and writes its annotations; off: it stops and writes nothing more', async () => {
    assert.deepEqual(runningRoles(readEvents(sim.eventsPath)), [], 'nothing runs before FLUO is installed');
    const on = await flatdeck('auto-update', 'on', '--yes');
    assert.equal(on.code, 0, on.stderr + on.stdout);

    const agents = await waitFor('an agent on every node and one operator', () => {
      const roles = runningRoles(readEvents(sim.eventsPath));
      return roles.filter((r) => r.startsWith('update-agent@')).length === 3 && roles.filter((r) => r.startsWith('update-operator@')).length === 1 ? roles : undefined;
    }, { timeoutMs: 60_000 });
    assert.deepEqual(agents.filter((r) => r.startsWith('update-agent@')), ['update-agent@worker-1', 'update-agent@worker-2', 'update-agent@worker-3']);
    const api = await KubeRestClient.fromKubeconfigFile(sim.kubeconfigPath);
    await waitFor('every node reset by its agent', async () => {
      for (const name of ['worker-1', 'worker-2', 'worker-3']) {
        const n = await api.get<{ metadata: { annotations?: Record<string, string> } }>(`/api/v1/nodes/${name}`);
        if (n.metadata.annotations?.[`${P}reboot-needed`] !== 'false') return false;
      }
      return true;
    }, { timeoutMs: 30_000 });
    const status = JSON.parse((await flatdeck('auto-update', 'status', '--json')).stdout) as AutoUpdateStatus;
    assert.deepEqual(status.nodes.map((n) => [n.node, n.fluo?.status]), [['worker-1', 'UPDATE_STATUS_IDLE'], ['worker-2', 'UPDATE_STATUS_IDLE'], ['worker-3', 'UPDATE_STATUS_IDLE']], 'on unmasked update-engine everywhere, and each agent reports it');

    const off = await flatdeck('auto-update', 'off', '--yes');
    assert.equal(off.code, 0, off.stderr + off.stdout);
    await waitFor('every FLUO process stopped', () => runningRoles(readEvents(sim.eventsPath)).length === 0, { timeoutMs: 60_000 });
    const stoppedAt = readEvents(sim.eventsPath).length;
    await new Promise((r) => setTimeout(r, 2_000));
    assert.deepEqual(readEvents(sim.eventsPath).slice(stoppedAt).filter((e) => e.kind === 'fluo'), [], 'nothing writes FLUO annotations any more');
  });
});
