// Flatcar's manual rollback (flatcar-docs setup/debug/manual-rollbacks.md) typed over OpenSSH against the
// simulator: rootdev, cgpt find/show/prioritize, reading the other partition's release from a read-only mount,
// and the reboot into it; a fresh machine's empty USR-B cannot be mounted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { ssh, waitFor } from './sim-ssh-client.ts';

const block = loopbackBlock();

describe('manual rollback over OpenSSH', () => {
  let dir: string;
  let cluster: SimCluster;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-rollback-'));
    // seed 4: worker-5 starts on 3510.2.8, never updated
    cluster = await startSimCluster({ nodes: 5, seed: 4, stateDir: dir, sshPort: 0, addressBase: block.base, api: { kind: 'none' }, timeScale: 0.02, scheduledUpdateChecks: false, profile: 'mixed' });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (host: string, command: string) => ssh(cluster.sshConfigPath, host, command);

  it('prioritizes the passive partition and boots its release, as the documentation does it', async () => {
    const host = 'worker-2';
    assert.deepEqual(await run(host, 'cgpt find -t flatcar-usr'), { stdout: '', stderr: "ERROR: Can't open /dev/sda: Permission denied\n", code: 1 });
    assert.deepEqual(await run(host, 'sudo cgpt find -t flatcar-usr'), { stdout: '/dev/sda3\n/dev/sda4\n', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'rootdev -s /usr'), { stdout: '/dev/sda4\n', stderr: '', code: 0 });
    const show = await run(host, 'sudo cgpt show /dev/sda');
    assert.match(show.stdout, / {6}270336 {5}2097152 {7}3 {2}Label: "USR-A"\n {34}Type: Alias for flatcar-rootfs\n {34}UUID: 7130C94A-213A-4E5A-8E26-6CCE9662F132\n {34}Attr: priority=1 tries=0 successful=1\n/);
    assert.match(show.stdout, /Label: "USR-B"\n.*\n.*\n {34}Attr: priority=2 tries=0 successful=1\n/);

    assert.equal((await run(host, 'sudo mount --mkdir -o ro /dev/sda3 /run/other-usr')).code, 0);
    assert.match((await run(host, 'cat /run/other-usr/share/flatcar/release')).stdout, /^FLATCAR_RELEASE_VERSION=4593\.2\.0$/m);
    assert.deepEqual(await run(host, 'sudo umount /run/other-usr'), { stdout: '', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'sudo umount /run/other-usr'), { stdout: '', stderr: 'umount: /run/other-usr: not mounted.\n', code: 32 });

    assert.equal((await run(host, 'sudo cgpt prioritize /dev/sda3')).code, 0);
    assert.match((await run(host, 'sudo cgpt show /dev/sda')).stdout, /Label: "USR-A"\n.*\n.*\n {34}Attr: priority=2 tries=0 successful=1\n/);
    assert.equal((await run(host, 'sudo systemctl reboot')).code, 0);
    await waitFor(`${host} to go down`, async () => ((await run(host, 'true')).code === 255 ? true : undefined), 30_000);
    await waitFor(`${host} to come back`, async () => ((await run(host, 'true')).code === 0 ? true : undefined), 60_000);
    assert.deepEqual(await run(host, 'grep VERSION_ID /etc/os-release'), { stdout: 'VERSION_ID=4593.2.0\n', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'rootdev -s /usr'), { stdout: '/dev/sda3\n', stderr: '', code: 0 });
  });

  it("a machine never updated has an empty USR-B: mounting it fails as util-linux says, and mount needs root", async () => {
    const host = 'worker-5';
    assert.deepEqual(await run(host, 'grep VERSION_ID /etc/os-release'), { stdout: 'VERSION_ID=3510.2.8\n', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'rootdev -s /usr'), { stdout: '/dev/sda3\n', stderr: '', code: 0 });
    assert.match((await run(host, 'sudo cgpt show /dev/sda')).stdout, /Label: "USR-B"\n.*\n.*\n {34}Attr: priority=1 tries=0 successful=0\n/);
    assert.deepEqual(await run(host, 'mount -o ro /dev/sda4 /run/x'), { stdout: '', stderr: 'mount: only root can use "--options" option (effective UID is 500)\n', code: 1 });
    const empty = await run(host, 'sudo mount --mkdir -o ro /dev/sda4 /run/x');
    assert.equal(empty.code, 32);
    assert.match(empty.stderr, /^mount: \/run\/x: wrong fs type, bad option, bad superblock on \/dev\/sda4, missing codepage or helper program, or other error\.\n/);
  });
});
