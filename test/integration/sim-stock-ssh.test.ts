// A `--profile stock` fleet as the real OpenSSH client sees it: update-engine and locksmithd running from
// vendor links (`is-enabled` says disabled), an empty update.conf, and locksmithd rebooting a node by itself,
// without any drain, as soon as an update is staged, with the rest of locksmithd's and update_engine's rules.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import type { SimEvent } from '../../sim/fleet/events.ts';
import { readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { ssh, waitFor } from './sim-ssh-client.ts';

const block = loopbackBlock();
const TIME_SCALE = 0.01;
let cluster: SimCluster;
let dir: string;

const events = (node: string): SimEvent[] => readEvents(cluster.eventsPath).filter((e) => e.node === node);
const statusField = (stdout: string, key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(stdout)?.[1];
const run = (host: string, command: string, input?: string) => ssh(cluster.sshConfigPath, host, command, [], input);

/** Replaces update.conf the atomic way: a temporary file in /etc/flatcar renamed over the old one. */
async function writeUpdateConf(host: string, content: string): Promise<void> {
  const temp = (await run(host, 'sudo mktemp /etc/flatcar/update.conf.XXXXXX')).stdout.trim();
  assert.equal((await run(host, `sudo tee ${temp}`, content)).code, 0);
  assert.deepEqual(await run(host, `sudo mv -f ${temp} /etc/flatcar/update.conf`), { stdout: '', stderr: '', code: 0 });
}

async function stage(host: string): Promise<void> {
  const r = await run(host, 'sudo update_engine_client -update');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Update succeeded -- reboot needed\./);
}

function rebootStarts(node: string): SimEvent[] {
  return events(node).filter((e) => e.kind === 'reboot-start');
}

describe('stock Flatcar nodes (profile stock) over OpenSSH', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-stock-'));
    cluster = await startSimCluster({ nodes: 4, profile: 'stock', stateDir: dir, sshPort: 0, addressBase: block.base, api: { kind: 'none' }, timeScale: TIME_SCALE, scheduledUpdateChecks: false });
    // Every node of every channel gets an update offered.
    cluster.releases.publish('stable', { version: '4803.2.0', size: 461_000_000 });
    cluster.releases.publish('beta', { version: '4852.1.0', size: 466_000_000 });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs update-engine and locksmithd from vendor links: is-enabled says disabled, both are active, update.conf is empty', async () => {
    const host = block.host(1);
    assert.deepEqual(await run(host, 'systemctl is-enabled update-engine.service locksmithd.service'), { stdout: 'disabled\ndisabled\n', stderr: '', code: 1 });
    assert.deepEqual(await run(host, 'systemctl is-active update-engine.service locksmithd.service'), { stdout: 'active\nactive\n', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'cat /etc/flatcar/update.conf'), { stdout: '', stderr: '', code: 0 });
    assert.deepEqual(await run(host, 'cat /run/reboot-required'), { stdout: '', stderr: 'cat: /run/reboot-required: No such file or directory\n', code: 1 }, 'no update staged yet');
    assert.deepEqual(await run(host, 'sudo systemctl disable locksmithd.service'), { stdout: '', stderr: '', code: 0 }, 'the /usr link cannot be removed');
  });

  it('locksmithd reboots the node by itself, without a drain, as soon as the update is staged', async () => {
    const host = block.host(1);
    const before = cluster.machines[0]!.osRelease().versionId;
    await stage(host);
    await waitFor('locksmithd to reboot worker-1', async () => (rebootStarts('worker-1').length > 0 ? true : undefined));
    assert.deepEqual(rebootStarts('worker-1').map((e) => e.by), ['locksmithd']);
    await waitFor('worker-1 back up', async () => (events('worker-1').some((e) => e.kind === 'up') ? true : undefined));
    assert.notEqual(cluster.machines[0]!.osRelease().versionId, before);
    assert.equal((await run(host, 'cat /run/reboot-required')).code, 1, 'the sentinel lived in /run (tmpfs)');
    assert.deepEqual(await run(host, 'systemctl is-active update-engine.service locksmithd.service'), { stdout: 'active\nactive\n', stderr: '', code: 0 }, 'disable changed nothing: both start at boot');
  });

  it('REBOOT_STRATEGY=off: locksmithd exits; an update-engine restart then restores only NEED_REBOOT; a locksmithd started on the staged node reboots it at once', async () => {
    const host = block.host(2);
    await writeUpdateConf(host, 'REBOOT_STRATEGY=off\n');
    assert.equal((await run(host, 'sudo systemctl restart locksmithd.service')).code, 0);
    assert.deepEqual(await run(host, 'systemctl is-active locksmithd.service'), { stdout: 'inactive\n', stderr: '', code: 3 });
    await stage(host);
    const staged = await run(host, 'update_engine_client -status');
    assert.ok(statusField(staged.stdout, 'NEW_VERSION') !== '0.0.0');

    assert.equal((await run(host, 'sudo systemctl restart update-engine.service')).code, 0);
    const restarted = await run(host, 'update_engine_client -status');
    assert.equal(statusField(restarted.stdout, 'CURRENT_OP'), 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
    assert.equal(statusField(restarted.stdout, 'NEW_VERSION'), '0.0.0');
    assert.equal(statusField(restarted.stdout, 'NEW_SIZE'), '0');
    assert.equal(statusField(restarted.stdout, 'LAST_CHECKED_TIME'), '0');
    assert.deepEqual(rebootStarts('worker-2'), []);
    assert.deepEqual(await run(host, 'cat /run/reboot-required'), { stdout: '', stderr: '', code: 0 }, 'flatcar-postinst touched the kured sentinel');

    await writeUpdateConf(host, 'REBOOT_STRATEGY=reboot\n');
    assert.equal((await run(host, 'sudo systemctl start locksmithd.service')).code, 0);
    await waitFor('locksmithd to reboot worker-2', async () => (rebootStarts('worker-2').length > 0 ? true : undefined));
    assert.deepEqual(rebootStarts('worker-2').map((e) => e.by), ['locksmithd']);
  });

  it('SERVER=disabled: every check goes CHECKING → REPORTING_ERROR_EVENT → IDLE and nothing downloads', async () => {
    const host = block.host(3);
    await writeUpdateConf(host, 'SERVER=disabled\n');
    const r = await run(host, 'sudo update_engine_client -update');
    assert.equal(r.code, 0);
    assert.match(r.stderr, /No update available/);
    assert.equal(statusField(r.stdout.split('LAST_CHECKED_TIME').at(-1) ?? '', 'CURRENT_OP'), 'UPDATE_STATUS_IDLE');
    const ops = events('worker-3').filter((e) => e.kind === 'update-engine').map((e) => e.to);
    assert.deepEqual(ops, ['UPDATE_STATUS_CHECKING_FOR_UPDATE', 'UPDATE_STATUS_REPORTING_ERROR_EVENT', 'UPDATE_STATUS_IDLE']);
    assert.equal(statusField((await run(host, 'update_engine_client -status')).stdout, 'LAST_CHECKED_TIME'), '0');
  });

  it('warns a logged-in user and waits 5 minutes (scaled) before rebooting', async () => {
    const host = block.host(3);
    await writeUpdateConf(host, '');
    const terminal = spawn('/usr/bin/ssh', ['-F', cluster.sshConfigPath, '-tt', '-o', 'BatchMode=yes', host], { stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    terminal.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    try {
      await waitFor('the login prompt', async () => (screen.includes('core@worker-3') ? true : undefined));
      await stage(host);
      const stagedAt = Date.now();
      await waitFor('the wall message', async () => (screen.includes('System reboot in 5 minutes!') ? true : undefined));
      assert.match(screen, /Broadcast message from locksmithd at /);
      await waitFor('locksmithd to reboot worker-3', async () => (rebootStarts('worker-3').length > 0 ? true : undefined));
      assert.ok(Date.now() - stagedAt >= 300_000 * TIME_SCALE * 0.9, 'the reboot waited for the logged-in user');
    } finally {
      terminal.kill();
    }
  });

  it('an unknown REBOOT_STRATEGY: locksmithd crash-loops (restarted every 10 s, scaled) once an update is staged, and never reboots', async () => {
    const host = block.host(4);
    await writeUpdateConf(host, 'REBOOT_STRATEGY=sometimes\n');
    assert.equal((await run(host, 'sudo systemctl restart locksmithd.service')).code, 0);
    await stage(host);
    await waitFor('three failed starts', async () =>
      events('worker-4').filter((e) => e.kind === 'unit-active' && e.unit === 'locksmithd.service' && e.to === 'activating').length >= 3 ? true : undefined,
    );
    assert.ok(events('worker-4').some((e) => e.kind === 'journal' && e.message === 'unknown strategy: sometimes'));
    assert.deepEqual(rebootStarts('worker-4'), []);
  });
});
