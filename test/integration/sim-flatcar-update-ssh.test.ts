// flatcar-update --to-version over OpenSSH on the simulator, as flatcar/init bin/flatcar-update behaves: it
// unmasks update-engine, stages exactly the release asked for (older than the running one too), restores
// SERVER or writes SERVER=disabled with -A, and a release that does not exist ends it at the download with
// SERVER left pointing at its local update service.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { ssh, waitFor } from './sim-ssh-client.ts';

const block = loopbackBlock();

describe('flatcar-update --to-version over OpenSSH', () => {
  let dir: string;
  let cluster: SimCluster;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-flatcar-update-'));
    cluster = await startSimCluster({ nodes: 2, stateDir: dir, sshPort: 0, addressBase: block.base, api: { kind: 'none' }, timeScale: 0.01, scheduledUpdateChecks: false, profile: 'mixed' });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (host: string, command: string, input?: string) => ssh(cluster.sshConfigPath, host, command, [], input);

  it('unmasks and starts update-engine first; a release that does not exist fails at the download and leaves SERVER at the local update service', async () => {
    const host = 'worker-1';
    assert.deepEqual(await run(host, 'flatcar-update --to-version 4593.2.0'), { stdout: '', stderr: "Need to be root: sudo flatcar-update '--to-version' '4593.2.0' --\n", code: 1 });
    assert.deepEqual(await run(host, 'systemctl is-enabled update-engine.service'), { stdout: 'masked\n', stderr: '', code: 1 });
    const r = await run(host, 'sudo flatcar-update --to-version 4593.9.9');
    assert.equal(r.code, 22);
    assert.match(r.stderr, /curl: \(22\) The requested URL returned error: 404\n$/);
    assert.match((await run(host, 'cat /etc/flatcar/update.conf')).stdout, /^SERVER=http:\/\/localhost:9090\/update$/m);
    assert.deepEqual(await run(host, 'systemctl is-active update-engine.service'), { stdout: 'active\n', stderr: '', code: 0 }, 'unmasked and started before the download');
    assert.equal((await run(host, 'sudo tee /etc/flatcar/update.conf', 'GROUP=stable\n')).code, 0);
  });

  it('stages exactly the release asked for, older than the running one, and -A leaves SERVER=disabled', async () => {
    const host = 'worker-1';
    const r = await run(host, 'sudo flatcar-update --to-version 4593.2.0 --disable-afterwards');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: found hardcoded GROUP=stable in \/etc\/flatcar\/update.conf/);
    assert.match(r.stdout, /Forcing update\.\.\.\nSetting SERVER=disabled in \/etc\/flatcar\/update.conf\nRemoving payload .*\nDone, please make sure to reboot/);
    assert.deepEqual((await run(host, 'cat /etc/flatcar/update.conf')).stdout, 'GROUP=stable\nSERVER=disabled\n');
    assert.match((await run(host, 'update_engine_client -status')).stdout, /CURRENT_OP=UPDATE_STATUS_UPDATED_NEED_REBOOT\nNEW_VERSION=4593\.2\.0\n/);

    const again = await run(host, 'sudo flatcar-update --to-version 4757.2.3');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Error: a previously downloaded update wasn't applied yet, you can discard it with 'update_engine_client -reset_status'\n$/);

    assert.equal((await run(host, 'sudo systemctl reboot')).code, 0);
    await waitFor(`${host} to go down`, async () => ((await run(host, 'true')).code === 255 ? true : undefined), 30_000);
    await waitFor(`${host} to come back`, async () => ((await run(host, 'true')).code === 0 ? true : undefined), 60_000);
    assert.deepEqual(await run(host, 'grep VERSION_ID /etc/os-release'), { stdout: 'VERSION_ID=4593.2.0\n', stderr: '', code: 0 });
  });
});
