// The mixed fleet's Ubuntu 22.04 worker as the real OpenSSH client sees it: Ubuntu's os-release, none of
// Flatcar's tools, the reboot sentinel update-notifier's notify-reboot-required writes (with its package list),
// and `systemctl reboot`, after which /var/run (tmpfs) no longer holds the sentinel.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { ssh, waitFor } from './sim-ssh-client.ts';

const block = loopbackBlock();

describe('the Ubuntu worker over OpenSSH', () => {
  let dir: string;
  let cluster: SimCluster;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-ubuntu-'));
    cluster = await startSimCluster({ nodes: 6, stateDir: dir, sshPort: 0, addressBase: block.base, api: { kind: 'none' }, timeScale: 0.02, scheduledUpdateChecks: false, profile: 'mixed' });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (command: string) => ssh(cluster.sshConfigPath, 'worker-6', command);

  it('is Ubuntu 22.04 without update_engine, cgpt or flatcar-update', async () => {
    const osRelease = await run('cat /etc/os-release');
    assert.match(osRelease.stdout, /^PRETTY_NAME="Ubuntu 22\.04\.5 LTS"\n(?:.*\n)*VERSION_ID="22\.04"\n(?:.*\n)*ID=ubuntu\nID_LIKE=debian\n/);
    assert.deepEqual(await run('grep VERSION_ID /etc/os-release'), { stdout: 'VERSION_ID="22.04"\n', stderr: '', code: 0 });
    assert.deepEqual(await run('update_engine_client -status'), { stdout: '', stderr: 'bash: line 1: update_engine_client: command not found\n', code: 127 });
    assert.deepEqual(await run('sudo -n update_engine_client -status'), { stdout: '', stderr: 'sudo: update_engine_client: command not found\n', code: 1 });
    assert.equal((await run('sudo cgpt show /dev/sda')).code, 1);
    assert.equal((await run('rootdev -s /usr')).code, 127);
    assert.equal((await run('cat /usr/share/flatcar/release')).code, 1);
  });

  it('asks for a reboot for its new kernel until it reboots, then boots that kernel without the sentinel', async () => {
    assert.deepEqual(await run('cat /var/run/reboot-required'), { stdout: '*** System restart required ***\n', stderr: '', code: 0 });
    assert.deepEqual(await run('cat /var/run/reboot-required.pkgs'), { stdout: 'linux-image-5.15.0-127-generic\nlinux-base\n', stderr: '', code: 0 });
    const bootBefore = (await run('cat /proc/sys/kernel/random/boot_id')).stdout;

    assert.equal((await run('sudo systemctl reboot')).code, 0);
    await waitFor('worker-6 to go down', async () => ((await run('true')).code === 255 ? true : undefined), 30_000);
    await waitFor('worker-6 to come back', async () => ((await run('true')).code === 0 ? true : undefined), 60_000);

    assert.notEqual((await run('cat /proc/sys/kernel/random/boot_id')).stdout, bootBefore);
    assert.deepEqual(await run('cat /var/run/reboot-required'), { stdout: '', stderr: 'cat: /var/run/reboot-required: No such file or directory\n', code: 1 });
    assert.deepEqual(await run('cat /var/run/reboot-required.pkgs'), { stdout: '', stderr: 'cat: /var/run/reboot-required.pkgs: No such file or directory\n', code: 1 });
    assert.equal(cluster.machines.find((m) => m.name === 'worker-6')?.kernelVersion(), '5.15.0-127-generic');
  });
});
