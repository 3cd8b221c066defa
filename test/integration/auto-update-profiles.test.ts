// `flatdeck auto-update status` (the installed bin) on the simulator's three fleet profiles: stock Flatcar
// (update-engine and locksmithd started by the image's vendor links, `is-enabled` says disabled), Kubermatic's
// disableAutoUpdate (both masked) and the mixed default of the demo. The nodes that reboot without a drain when an
// update arrives are named at cluster level, with the two ways out; the plans change nothing needlessly.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AutoUpdateStatus } from '../../app/api/auto-update.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import type { FleetProfile } from '../../sim/fleet/composition.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { runFlatdeck, type CliRun } from '../support/run-flatdeck.ts';
import { waitFor } from '../support/wait-for.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-auto-update-profiles-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fleet of one profile, its status and its plans, then the fleet is gone again. */
async function withFleet<T>(profile: FleetProfile, nodes: number, look: (cli: (...args: string[]) => Promise<CliRun>) => Promise<T>): Promise<T> {
  const block = loopbackBlock();
  const home = mkdtempSync(join(dir, `${profile}-`));
  const sim: SimCluster = await startSimCluster({ nodes, profile, stateDir: join(home, 'sim'), sshPort: 0, addressBase: block.base, timeScale: 0.02, workload: false, scheduledUpdateChecks: false });
  const cli = (...args: string[]) => runFlatdeck(home, [...args, '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--known-hosts', sim.knownHostsPath, '--data-dir', join(home, 'data')]);
  try {
    await waitFor(`${nodes} Flatcar nodes listed`, async () => {
      const s = await cli('auto-update', 'status', '--json');
      return s.code === 0 && (JSON.parse(s.stdout) as AutoUpdateStatus).nodes.length === nodes;
    }, { timeoutMs: 60_000 });
    return await look(cli);
  } finally {
    await sim.stop();
    block.release();
  }
}

const statusOf = async (cli: (...args: string[]) => Promise<CliRun>) => {
  const run = await cli('auto-update', 'status', '--json');
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as AutoUpdateStatus;
};
const units = (s: AutoUpdateStatus) => s.nodes.map((n) => `${n.node} ${n.updateEngine}${n.updateEngineActive ? '+active' : ''} ${n.locksmithd}${n.locksmithdActive ? '+active' : ''}`);

describe('flatdeck auto-update status on each fleet profile', () => {
  it('stock: every node shown as vendor-enabled and running, and all of them named as rebooting without a drain', async () => {
    await withFleet('stock', 3, async (cli) => {
      const s = await statusOf(cli);
      assert.deepEqual(units(s), ['worker-1 vendor-enabled+active vendor-enabled+active', 'worker-2 vendor-enabled+active vendor-enabled+active', 'worker-3 vendor-enabled+active vendor-enabled+active']);
      assert.equal(s.fluo.present, false);
      assert.deepEqual(s.rebootsWithoutDrain?.nodes, ['worker-1', 'worker-2', 'worker-3']);
      assert.match(s.rebootsWithoutDrain?.message ?? '', /^3 nodes reboot without a drain when an update arrives/);
      const text = await cli('auto-update', 'status');
      assert.match(text.stdout, /^DANGER: 3 nodes reboot without a drain when an update arrives .*\n {2}remedy: flatdeck auto-update on .*\n {2}remedy: flatdeck auto-update off /m);
      // the plans as printed; without --yes and without a terminal nothing is applied
      const on = await cli('auto-update', 'on');
      assert.equal(on.code, 2);
      assert.deepEqual(on.stdout.split('\n').filter((l) => l.startsWith('  worker-')), ['worker-1', 'worker-2', 'worker-3'].flatMap((n) => [`  ${n}: stop locksmithd`, `  ${n}: mask locksmithd`]), 'on: only locksmithd changes, update-engine already starts at every boot');
      const off = await cli('auto-update', 'off', '--disable-mode', 'server-disabled');
      assert.deepEqual(off.stdout.split('\n').filter((l) => l.startsWith('  worker-')), ['worker-1', 'worker-2', 'worker-3'].map((n) => `  ${n}: set SERVER=disabled`));
    });
  });

  it('kubermatic: both units masked, auto-update off, no node at risk', async () => {
    await withFleet('kubermatic', 2, async (cli) => {
      const s = await statusOf(cli);
      assert.deepEqual(units(s), ['worker-1 masked masked', 'worker-2 masked masked']);
      assert.equal(s.enabled, 'off');
      assert.equal(s.rebootsWithoutDrain, null);
      assert.doesNotMatch((await cli('auto-update', 'status')).stdout, /DANGER/);
      const on = await cli('auto-update', 'on');
      assert.deepEqual(on.stdout.split('\n').filter((l) => l.startsWith('  worker-1')), ['  worker-1: unmask update-engine', '  worker-1: start update-engine']);
    });
  });

  it('mixed (the demo\'s default): the stock nodes, and only they, reboot without a drain', async () => {
    await withFleet('mixed', 5, async (cli) => {
      const s = await statusOf(cli);
      assert.deepEqual(units(s), [
        'worker-1 masked masked',
        'worker-2 enabled+active masked',
        'worker-3 masked masked',
        'worker-4 vendor-enabled+active vendor-enabled+active',
        'worker-5 vendor-enabled+active vendor-enabled+active',
      ]);
      assert.equal(s.enabled, 'mixed');
      assert.deepEqual(s.rebootsWithoutDrain?.nodes, ['worker-4', 'worker-5']);
      assert.deepEqual(s.rebootsWithoutDrain?.remedies.map((r) => r.enable), [true, false]);
    });
  });
});
