// The manual Flatcar update procedure (docs.gec.io / flatcar docs), step by step with the real OpenSSH
// client against the simulator: the node ends on the new VERSION_ID with a new boot_id, and events.jsonl
// records the reboot with timestamps.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import type { SimEvent } from '../../sim/fleet/events.ts';
import { maxConcurrentReboots, readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { DEFAULT_RELEASES } from '../../sim/fleet/release-server.ts';
import { control, ssh, waitFor } from './sim-ssh-client.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const TIME_SCALE = 0.02;
let cluster: SimCluster;
let dir: string;

function statusField(stdout: string, key: string): string | undefined {
  return new RegExp(`^${key}=(.*)$`, 'm').exec(stdout)?.[1];
}

const events = (): SimEvent[] => readEvents(cluster.eventsPath);

async function pollUntilNeedReboot(host: string): Promise<{ ops: string[]; progress: number[] }> {
  const ops: string[] = [];
  const progress: number[] = [];
  await waitFor(
    `${host} UPDATE_STATUS_UPDATED_NEED_REBOOT`,
    async () => {
      const r = await ssh(cluster.sshConfigPath, host, 'sudo update_engine_client -status');
      assert.equal(r.code, 0, r.stderr);
      const op = statusField(r.stdout, 'CURRENT_OP') ?? '';
      if (ops.at(-1) !== op) ops.push(op);
      if (op === 'UPDATE_STATUS_DOWNLOADING') progress.push(Number(statusField(r.stdout, 'PROGRESS')));
      return op === 'UPDATE_STATUS_UPDATED_NEED_REBOOT' ? true : undefined;
    },
    30_000,
    20,
  );
  return { ops, progress };
}

async function rebootAndWait(host: string): Promise<void> {
  const reboot = await ssh(cluster.sshConfigPath, host, 'sudo systemctl reboot');
  assert.equal(reboot.code, 0, reboot.stderr);
  await waitFor(`${host} to refuse connections`, async () => {
    const r = await ssh(cluster.sshConfigPath, host, 'true');
    return r.code === 255 && /Connection refused/.test(r.stderr) ? true : undefined;
  });
  await waitFor(`${host} to come back`, async () => ((await ssh(cluster.sshConfigPath, host, 'true')).code === 0 ? true : undefined));
}

describe('manual update procedure over OpenSSH', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-procedure-'));
    cluster = await startSimCluster({ nodes: 3, stateDir: dir, sshPort: 0, addressBase: block.base, api: { kind: 'none' }, timeScale: TIME_SCALE, scheduledUpdateChecks: false });
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('updates a Kubermatic-style masked node from 4459.2.1 to the stable release and reboots it', async () => {
    const host = block.host(1);
    const newVersion = DEFAULT_RELEASES.stable.version;

    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'grep VERSION_ID /etc/os-release'), { stdout: 'VERSION_ID=4459.2.1\n', stderr: '', code: 0 });
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'systemctl is-enabled update-engine.service'), { stdout: 'masked\n', stderr: '', code: 1 });
    const bootIdBefore = (await ssh(cluster.sshConfigPath, host, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();

    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'sudo systemctl unmask update-engine.service'), {
      stdout: '',
      stderr: 'Removed "/etc/systemd/system/update-engine.service".\n',
      code: 0,
    });
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'sudo systemctl start update-engine.service'), { stdout: '', stderr: '', code: 0 });
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'systemctl is-active update-engine.service'), { stdout: 'active\n', stderr: '', code: 0 });

    const check = await ssh(cluster.sshConfigPath, host, 'sudo update_engine_client -check_for_update');
    assert.equal(check.code, 0);
    assert.equal(check.stdout, '');
    assert.match(check.stderr, /update_engine_client\.cc:251\] Initiating update check and install\.\n$/);

    const { ops, progress } = await pollUntilNeedReboot(host);
    assert.equal(ops.at(-1), 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
    assert.ok(ops.includes('UPDATE_STATUS_DOWNLOADING'), `saw ${ops.join(' → ')}`);
    assert.ok(progress.length >= 2, 'PROGRESS seen rising while downloading');
    assert.deepEqual([...progress].sort((a, b) => a - b), progress, 'PROGRESS never decreases');
    const needReboot = await ssh(cluster.sshConfigPath, host, 'sudo update_engine_client -status');
    assert.equal(statusField(needReboot.stdout, 'NEW_VERSION'), newVersion);
    assert.equal(statusField(needReboot.stdout, 'PROGRESS'), '0.000000');
    assert.equal(statusField(needReboot.stdout, 'NEW_SIZE'), String(DEFAULT_RELEASES.stable.size));

    await rebootAndWait(host);

    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'grep VERSION_ID /etc/os-release'), { stdout: `VERSION_ID="${newVersion}"\n`, stderr: '', code: 0 });
    const bootIdAfter = (await ssh(cluster.sshConfigPath, host, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
    assert.notEqual(bootIdAfter, bootIdBefore);
    const idle = await ssh(cluster.sshConfigPath, host, 'sudo update_engine_client -status');
    assert.equal(statusField(idle.stdout, 'CURRENT_OP'), 'UPDATE_STATUS_IDLE', 'the NEED_REBOOT marker was in tmpfs');
    // Unmasked, the vendor link under /usr starts it at boot while is-enabled (counting /etc links only) says disabled.
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'systemctl is-enabled update-engine.service'), { stdout: 'disabled\n', stderr: '', code: 1 }, 'unmask persisted');
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'systemctl is-active update-engine.service'), { stdout: 'active\n', stderr: '', code: 0 });
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'systemctl is-enabled locksmithd.service'), { stdout: 'masked\n', stderr: '', code: 1 });

    const mine = events().filter((e) => e.node === 'worker-1');
    const kinds = mine.map((e) => e.kind);
    const start = kinds.indexOf('reboot-start');
    assert.ok(start >= 0 && kinds.indexOf('down', start) > start && kinds.indexOf('up', start) > kinds.indexOf('down', start), kinds.join(','));
    const find = (kind: SimEvent['kind']): SimEvent => {
      const event = mine.find((e) => e.kind === kind);
      assert.ok(event, `no ${kind} event`);
      return event;
    };
    const [rebootStart, down, up] = [find('reboot-start'), find('down'), find('up')];
    assert.ok(Date.parse(rebootStart.ts) <= Date.parse(down.ts) && Date.parse(down.ts) < Date.parse(up.ts));
    assert.ok(Date.parse(up.ts) - Date.parse(down.ts) >= 40_000 * TIME_SCALE * 0.9, 'down for the scaled reboot time');
    assert.equal(rebootStart.bootId, bootIdBefore);
    assert.equal(up.bootId, bootIdAfter);
    assert.deepEqual(
      mine.filter((e) => e.kind === 'os-version').map((e) => [e.from, e.to]),
      [['4459.2.1', newVersion]],
    );
    assert.ok(mine.some((e) => e.kind === 'unit-file' && e.from === 'masked' && e.to === 'disabled'), 'unmasked: back to the vendor link');
    assert.ok(mine.filter((e) => e.kind === 'download-progress').length >= 5, 'download progress at coarse steps');
    await waitFor('update_engine to mark the new slot good', async () => (events().some((e) => e.node === 'worker-1' && e.kind === 'boot-marked-good') ? true : undefined));
  });

  it('a rollback fault brings the node back on its old version with a new boot_id', async () => {
    const host = block.host(2);
    await control(cluster.controlUrl, 'POST', '/faults', { kind: 'rollback', node: 'worker-2' });
    assert.equal((await ssh(cluster.sshConfigPath, host, 'systemctl is-active update-engine.service')).stdout, 'active\n', 'worker-2 runs update-engine');
    const bootIdBefore = cluster.machines[1]?.bootId();
    assert.equal((await ssh(cluster.sshConfigPath, host, 'sudo update_engine_client -check_for_update')).code, 0);
    await pollUntilNeedReboot(host);
    await rebootAndWait(host);
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'grep VERSION_ID /etc/os-release'), { stdout: 'VERSION_ID="4757.2.0"\n', stderr: '', code: 0 });
    assert.notEqual(cluster.machines[1]?.bootId(), bootIdBefore);
    assert.ok(events().some((e) => e.node === 'worker-2' && e.kind === 'rollback' && e.from === DEFAULT_RELEASES.stable.version && e.to === '4757.2.0'));
    await control(cluster.controlUrl, 'DELETE', '/faults');
  });

  it('an unmasked, running locksmithd reboots the node by itself once the update is applied', async () => {
    const host = block.host(2);
    for (const step of ['sudo systemctl unmask locksmithd.service', 'sudo systemctl start locksmithd.service', 'sudo update_engine_client -check_for_update']) {
      assert.equal((await ssh(cluster.sshConfigPath, host, step)).code, 0, step);
    }
    const up = await waitFor('worker-2 to reboot into the update on its own', async () =>
      events().find((e) => e.node === 'worker-2' && e.kind === 'up' && e.version === DEFAULT_RELEASES.stable.version),
    );
    assert.ok(up);
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'grep VERSION_ID /etc/os-release'), { stdout: `VERSION_ID="${DEFAULT_RELEASES.stable.version}"\n`, stderr: '', code: 0 });
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'sudo systemctl mask --now locksmithd.service'), {
      stdout: '',
      stderr: 'Created symlink /etc/systemd/system/locksmithd.service → /dev/null.\n',
      code: 0,
    });
  });

  it('never-returns keeps the node down until the fault is cleared', async () => {
    const host = block.host(3);
    await control(cluster.controlUrl, 'POST', '/faults', { kind: 'never-returns', node: host });
    assert.equal((await ssh(cluster.sshConfigPath, host, 'sudo systemctl reboot')).code, 0);
    await waitFor('worker-3 down', async () => (cluster.machines[2]?.isUp() === false ? true : undefined));
    await new Promise((r) => setTimeout(r, 40_000 * TIME_SCALE * 2));
    const r = await ssh(cluster.sshConfigPath, host, 'true');
    assert.equal(r.code, 255);
    assert.match(r.stderr, /Connection refused/);
    await control(cluster.controlUrl, 'DELETE', '/faults');
    await waitFor('worker-3 back', async () => ((await ssh(cluster.sshConfigPath, host, 'true')).code === 0 ? true : undefined));
  });

  it('update-error makes the update end in IDLE via REPORTING_ERROR_EVENT while -update still exits 0', async () => {
    const host = block.host(3);
    await control(cluster.controlUrl, 'POST', '/faults', { kind: 'update-error', node: 'worker-3', phase: 'download' });
    await ssh(cluster.sshConfigPath, host, 'sudo systemctl unmask update-engine.service');
    await ssh(cluster.sshConfigPath, host, 'sudo systemctl start update-engine.service');
    const r = await ssh(cluster.sshConfigPath, host, 'sudo update_engine_client -update');
    assert.equal(r.code, 0, 'a failed update still exits 0 (Flatcar#1461)');
    assert.match(r.stderr, /update_engine_client\.cc:194\] No update available\n$/);
    assert.equal(statusField((await ssh(cluster.sshConfigPath, host, 'sudo update_engine_client -status')).stdout, 'CURRENT_OP'), 'UPDATE_STATUS_IDLE');
    const ops = events().filter((e) => e.node === 'worker-3' && e.kind === 'update-engine').map((e) => e.to);
    assert.ok(ops.includes('UPDATE_STATUS_REPORTING_ERROR_EVENT'), ops.join(','));
    await control(cluster.controlUrl, 'DELETE', '/faults');
  });

  it('a slot booted with update-engine masked is never marked good: the next reboot falls back', async () => {
    const host = block.host(3);
    const beta = DEFAULT_RELEASES.beta.version;
    assert.equal((await ssh(cluster.sshConfigPath, host, 'sudo update_engine_client -check_for_update')).code, 0);
    await pollUntilNeedReboot(host);
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'sudo systemctl mask --now update-engine.service'), {
      stdout: '',
      stderr: 'Created symlink /etc/systemd/system/update-engine.service → /dev/null.\n',
      code: 0,
    });
    await rebootAndWait(host);
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'grep VERSION_ID /etc/os-release'), { stdout: `VERSION_ID="${beta}"\n`, stderr: '', code: 0 });
    await new Promise((r) => setTimeout(r, 45_000 * TIME_SCALE * 1.5));
    await rebootAndWait(host);
    assert.deepEqual(await ssh(cluster.sshConfigPath, host, 'grep VERSION_ID /etc/os-release'), { stdout: 'VERSION_ID="4628.1.2"\n', stderr: '', code: 0 });
    const fallback = events().find((e) => e.node === 'worker-3' && e.kind === 'rollback');
    assert.deepEqual([fallback?.from, fallback?.to], [beta, '4628.1.2']);
    assert.equal(events().some((e) => e.node === 'worker-3' && e.kind === 'boot-marked-good'), false);
    assert.equal(maxConcurrentReboots(events()), 1, 'the tests rebooted one node at a time');
  });
});
