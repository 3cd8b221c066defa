// flatdeck's SSH layer over the real SSH protocol against the simulated Flatcar fleet (sim/cluster.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { SshPool, type SshPoolOptions } from '../../app/ssh/pool.ts';
import { SshError } from '../../app/ssh/errors.ts';
import { SshConfigFile } from '../../app/ssh/ssh-config.ts';
import { resolveSshTarget } from '../../app/ssh/address.ts';
import type { SshTarget } from '../../app/ssh/types.ts';
import { grepVersionId, parseOsRelease, readOsRelease } from '../../app/flatcar/os-release.ts';
import { parseBootId, readBootId } from '../../app/flatcar/boot-id.ts';
import { classifyExecResult } from '../../app/flatcar/classify.ts';
import { toShellLine } from '../../app/flatcar/command.ts';
import { systemctl } from '../../app/flatcar/systemctl.ts';
import { parseUpdateEngineStatus, updateEngineClient, type UpdateEngineStatus } from '../../app/flatcar/update-engine.ts';
import { WatchStreamParser } from '../../app/flatcar/update-engine-watch.ts';
import { scriptedPrompter, startTestPeer, type TestPeer } from '../unit/ssh-test-peer.ts';
import { loopbackBlock } from '../support/loopback.ts';

const block = loopbackBlock();

const ADDRESS_BASE = block.base; // the nodes take the low host numbers; .200 and up are test peers
const work = mkdtempSync(join(tmpdir(), 'flatdeck-ssh-sim-'));
const emptyHome = mkdtempSync(join(work, 'home-'));
const encryptedKey = join(work, 'id_passphrase');
const agentKey = join(work, 'id_agent');
// -a 2: few KDF rounds keep ssh2's pure-JS bcrypt quick; the key format is the same as with the default 16
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '2', '-N', 'open sesame', '-C', 'passphrase-key', '-f', encryptedKey]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'agent-key', '-f', agentKey]);

let sim: SimCluster;
let simConfig: SshConfigFile;
const node = (i: number) => sim.nodes[i]!;
const targetOf = (i: number, extra: Partial<SshTarget> = {}): SshTarget => ({ nodeName: node(i).name, host: node(i).address, ...extra });
const isSshError = (kind: string) => (e: unknown) => e instanceof SshError && e.kind === kind;

function simPool(extra: Partial<SshPoolOptions> = {}, answers: Parameters<typeof scriptedPrompter>[0] = {}) {
  const script = scriptedPrompter(answers);
  const pool = new SshPool({ prompter: script.prompter, sshConfig: simConfig, home: emptyHome, agentSocket: null, ...extra });
  return { pool, asked: script.asked };
}

function fingerprintOf(publicKeyFile: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile], { encoding: 'utf8' }).split(' ')[1]!;
}

function simEvents(): Array<{ node: string; kind: string; from: unknown; to: unknown }> {
  return readFileSync(sim.eventsPath, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const NODES = 6;

/**
 * The simulator keeps key pairs it finds in its state directory. Making them with OpenSSH's ssh-keygen
 * first avoids ssh2's generator, which now and then emits an ed25519 key its own parser rejects.
 */
function presetSimKeys(stateDir: string): void {
  const make = (path: string, comment: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  mkdirSync(join(stateDir, 'host-keys'), { recursive: true });
  make(join(stateDir, 'id_ed25519'), 'core@flatdeck-sim');
  for (let i = 1; i <= NODES; i++) make(join(stateDir, 'host-keys', `worker-${i}_ed25519`), `root@worker-${i}`);
}

before(async () => {
  presetSimKeys(join(work, 'sim'));
  sim = await startSimCluster({
    nodes: NODES, stateDir: join(work, 'sim'), sshPort: 0, addressBase: ADDRESS_BASE, api: { kind: 'none' },
    timeScale: 0.01, scheduledUpdateChecks: false,
    authorizedKeys: [readFileSync(`${encryptedKey}.pub`, 'utf8'), readFileSync(`${agentKey}.pub`, 'utf8')],
  });
  simConfig = await SshConfigFile.load(sim.sshConfigPath);
});
after(async () => {
  await sim.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('authentication against the simulated fleet', () => {
  it('logs in with a passphrase-protected key; the passphrase is asked once and never written to disk', async () => {
    const sshConfig = SshConfigFile.parse(`Host *\n  IdentityFile ${encryptedKey}\n  UserKnownHostsFile ${sim.knownHostsPath}\n  IdentitiesOnly yes\n`);
    const { pool, asked } = simPool({ sshConfig }, { passphrases: ['open sesame'] });
    for (const i of [0, 1, 2]) {
      const r = await pool.exec({ nodeName: node(i).name, host: node(i).address, port: node(i).port }, toShellLine(grepVersionId()));
      assert.equal(parseOsRelease(r.stdout).versionId, node(i).version);
    }
    assert.deepEqual(asked.passphrases, [encryptedKey]);
    const grep = spawnSync('grep', ['-rl', 'open sesame', work, emptyHome], { encoding: 'utf8' });
    assert.equal(grep.status, 1, `passphrase found in ${grep.stdout}`); // 1 = no file contains it
    await pool.close();
  });

  it('logs in through a real ssh-agent (openssh-client) with ssh-add', async () => {
    const socket = join(work, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(socket));
      execFileSync('ssh-add', [agentKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      // No identity files anywhere (empty home, no config): only the agent can log in.
      const pool = new SshPool({
        prompter: scriptedPrompter().prompter, home: emptyHome, agentSocket: socket,
        knownHosts: { userKnownHostsFiles: [sim.knownHostsPath], globalKnownHostsFiles: [] },
      });
      const r = await pool.exec({ nodeName: node(3).name, host: node(3).address, port: node(3).port }, toShellLine(readOsRelease()));
      assert.equal(parseOsRelease(r.stdout).versionId, node(3).version);
      await pool.close();
      const noAgent = new SshPool({
        prompter: scriptedPrompter().prompter, home: emptyHome, agentSocket: null,
        knownHosts: { userKnownHostsFiles: [sim.knownHostsPath], globalKnownHostsFiles: [] },
      });
      await assert.rejects(noAgent.exec({ nodeName: node(3).name, host: node(3).address, port: node(3).port }, toShellLine(readOsRelease())), isSshError('auth-rejected'));
      await noAgent.close();

      // IdentitiesOnly: the agent may offer only the keys named by IdentityFile (here only its .pub exists).
      copyFileSync(`${agentKey}.pub`, join(work, 'agent-only.pub'));
      const restricted = (identity: string) => new SshPool({
        prompter: scriptedPrompter().prompter, home: emptyHome, agentSocket: socket,
        sshConfig: SshConfigFile.parse(`Host *\n  IdentityFile ${identity}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${sim.knownHostsPath}\n`),
      });
      const allowed = restricted(join(work, 'agent-only'));
      assert.equal((await allowed.exec({ nodeName: node(3).name, host: node(3).address, port: node(3).port }, toShellLine(grepVersionId()))).exitCode, 0);
      await allowed.close();
      const other = restricted(encryptedKey); // a key the agent does not hold; its passphrase is never given
      await assert.rejects(other.exec({ nodeName: node(3).name, host: node(3).address, port: node(3).port }, toShellLine(grepVersionId())),
        (e: unknown) => isSshError('passphrase-needed')(e) || isSshError('auth-rejected')(e));
      await other.close();
    } finally {
      agent.kill('SIGTERM');
    }
  });
});

describe('host keys against the simulated fleet', () => {
  it('asks about an unknown node with its SHA256 fingerprint; accepting records it, rejecting runs nothing', async () => {
    const knownHosts = join(work, 'fresh_known_hosts');
    const base = { home: emptyHome, agentSocket: null, sshConfig: SshConfigFile.parse(`Host *\n  IdentityFile ${sim.identityPath}\n`),
      knownHosts: { userKnownHostsFiles: [knownHosts], globalKnownHostsFiles: [] } };
    const t = { nodeName: node(4).name, host: node(4).address, port: node(4).port };
    const refused = simPool(base, { hostKey: false });
    await assert.rejects(refused.pool.exec(t, toShellLine(grepVersionId())), isSshError('host-key-unknown-rejected'));
    await refused.pool.close();
    assert.equal(existsSync(knownHosts), false);

    const accepted = simPool(base, { hostKey: true });
    await accepted.pool.exec(t, toShellLine(grepVersionId()));
    const expected = fingerprintOf(join(work, 'sim', 'host-keys', `${node(4).name}_ed25519.pub`));
    assert.deepEqual(accepted.asked.hostKeys, [{ host: node(4).address, port: node(4).port, keyType: 'ssh-ed25519', fingerprint: expected, otherKnownKeys: [] }]);
    assert.match(execFileSync('ssh-keygen', ['-F', `[${node(4).address}]:${node(4).port}`, '-f', knownHosts], { encoding: 'utf8' }), /found: line 1/);
    await accepted.pool.close();
  });

  it('refuses a node whose host key changed, showing the old and the new fingerprint', async () => {
    const victim = node(5);
    const fault = sim.faults.add({ kind: 'host-key-changed', node: victim.name });
    try {
      await waitFor(() => probePort(victim.address, victim.port), 20_000);
      const { pool, asked } = simPool({}, { hostKey: true });
      const oldFingerprint = fingerprintOf(join(work, 'sim', 'host-keys', `${victim.name}_ed25519.pub`));
      // async: the simulated sshd runs in this process and must keep answering while ssh-keyscan waits
      const { stdout: scanned } = await promisify(execFile)('ssh-keyscan', ['-t', 'ed25519', '-p', String(victim.port), victim.address]);
      const newFingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: scanned, encoding: 'utf8' }).split(' ')[1]!;
      assert.notEqual(oldFingerprint, newFingerprint);
      await assert.rejects(pool.exec(targetOf(5), toShellLine(grepVersionId())), (e: unknown) => {
        assert.ok(isSshError('host-key-changed')(e));
        assert.ok((e as Error).message.includes(oldFingerprint), (e as Error).message);
        assert.ok((e as Error).message.includes(newFingerprint), (e as Error).message);
        return true;
      });
      assert.equal(asked.hostKeys.length, 0);
      await pool.close();
    } finally {
      sim.faults.remove(fault.id);
    }
  });
});

describe('the pool against the simulated fleet', () => {
  it('reads every node\'s /etc/os-release in both formats, in parallel', async () => {
    const { pool } = simPool();
    const releases = await Promise.all(sim.nodes.map((n, i) => pool.exec(targetOf(i), toShellLine(readOsRelease())).then((r) => ({ n, r }))));
    for (const { n, r } of releases) {
      const os = parseOsRelease(r.stdout);
      assert.equal(os.versionId, n.version);
      assert.equal(os.id, 'flatcar');
    }
    const quoted = releases.filter(({ r }) => /^VERSION_ID="/m.test(r.stdout)).length;
    assert.ok(quoted > 0 && quoted < releases.length, `old and new os-release formats both present (${quoted} quoted)`);
    await pool.close();
  });

  it('runs 200 commands over one TCP connection', async () => {
    const proxy = await countingProxy(block.host(201), node(0).address, node(0).port);
    try {
      const knownHosts = join(work, 'proxy_known_hosts');
      const { pool, asked } = simPool({
        sshConfig: SshConfigFile.parse(`Host *\n  IdentityFile ${sim.identityPath}\n`),
        knownHosts: { userKnownHostsFiles: [knownHosts], globalKnownHostsFiles: [] },
      }, { hostKey: true });
      const t = { nodeName: node(0).name, host: proxy.host, port: proxy.port };
      const results = await Promise.all(Array.from({ length: 200 }, () => pool.exec(t, toShellLine(grepVersionId()))));
      assert.ok(results.every((r) => parseOsRelease(r.stdout).versionId === node(0).version));
      assert.equal(proxy.connections(), 1);
      assert.equal(pool.stats().connectsMade, 1);
      assert.equal(asked.hostKeys.length, 1);
      await pool.close();
    } finally {
      await proxy.close();
    }
  });

  it('reconnects after the node rebooted, and the boot id changed', async () => {
    const { pool } = simPool();
    const t = targetOf(1);
    const bootBefore = parseBootId((await pool.exec(t, toShellLine(readBootId()))).stdout);
    const reboot = await pool.exec(t, toShellLine(systemctl.reboot()));
    assert.equal(classifyExecResult(systemctl.reboot(), reboot), undefined);
    await waitFor(() => pool.stats().openConnections === 0, 20_000); // the node closed SSH while shutting down
    let bootAfter: string | undefined;
    await waitFor(async () => {
      try {
        bootAfter = parseBootId((await pool.exec(t, toShellLine(readBootId()), { timeoutMs: 10_000 })).stdout);
        return true;
      } catch (e) {
        assert.ok(isSshError('unreachable')(e) || isSshError('disconnected')(e), String(e));
        return false;
      }
    }, 30_000);
    assert.notEqual(bootAfter, bootBefore);
    assert.ok(simEvents().some((e) => e.node === node(1).name && e.kind === 'up'));
    await pool.close();
  });

  it('streams -watch_for_updates and parses every status the node reports', async () => {
    const { pool } = simPool();
    const t = targetOf(1); // update-engine runs on this node
    await waitFor(async () => (await pool.exec(t, toShellLine(systemctl.isActive('update-engine.service'))).catch(() => undefined))?.exitCode === 0, 10_000);
    const parser = new WatchStreamParser();
    const statuses: UpdateEngineStatus[] = [];
    const controller = new AbortController();
    const watching = pool.exec(t, toShellLine(updateEngineClient.watchForUpdates()), { signal: controller.signal, on: {
      stderr: (chunk) => {
        for (const event of parser.push(chunk)) {
          assert.notEqual(event.type, 'malformed', JSON.stringify(event));
          if (event.type === 'status') statuses.push(event.status);
          if (event.type === 'status' && event.status.currentOp === 'UPDATE_STATUS_UPDATED_NEED_REBOOT') controller.abort();
        }
      },
    } });
    const check = await pool.exec(t, toShellLine(updateEngineClient.checkForUpdate()));
    assert.equal(classifyExecResult(updateEngineClient.checkForUpdate(), check), undefined);
    await assert.rejects(watching, { name: 'AbortError' });
    const ops = statuses.map((s) => s.currentOp);
    assert.ok(ops.includes('UPDATE_STATUS_DOWNLOADING'), ops.join());
    assert.equal(ops.at(-1), 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
    const status = parseUpdateEngineStatus((await pool.exec(t, toShellLine(updateEngineClient.status()))).stdout);
    assert.equal(status.currentOp, 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
    assert.equal(status.newVersion, statuses.at(-1)!.newVersion);
    // The pool keeps the connection: only the aborted channel's close tells the node to end the watch.
    const machine = sim.machines.find((m) => m.name === node(1).name)!;
    await waitFor(async () => machine.snapshot().runningCommands === 0, 10_000);
    await pool.close();
  });

  it('classifies a masked update-engine, the D-Bus give-up and sudo wanting a password', async () => {
    const { pool } = simPool();
    const t = targetOf(0); // provisioned like Kubermatic's disableAutoUpdate: update-engine masked
    const start = await pool.exec(t, toShellLine(systemctl.start('update-engine.service')));
    assert.equal(classifyExecResult(systemctl.start('update-engine.service'), start, node(0).name)?.kind, 'service-masked');
    const status = await pool.exec(t, toShellLine(updateEngineClient.status()), { timeoutMs: 10_000 });
    assert.equal(classifyExecResult(updateEngineClient.status(), status)?.kind, 'dbus-unavailable');
    const fault = sim.faults.add({ kind: 'sudo-password', node: node(0).name });
    try {
      const denied = await pool.exec(t, toShellLine(updateEngineClient.status()));
      assert.equal(classifyExecResult(updateEngineClient.status(), denied)?.kind, 'sudo-password-required');
    } finally {
      sim.faults.remove(fault.id);
    }
    await pool.close();
  });
});

describe('ProxyJump through a bastion', () => {
  let bastion: TestPeer;
  before(async () => {
    bastion = await startTestPeer({ host: block.host(200), authorizedKeys: [readFileSync(`${sim.identityPath}.pub`, 'utf8')], forwarding: true });
  });
  after(() => bastion.stop());

  it('reaches a node through a jump host, verifying both host keys', async () => {
    const bastionKnownHosts = join(work, 'bastion_known_hosts');
    const config = SshConfigFile.parse([
      'Host jump', `  HostName ${bastion.host}`, `  Port ${bastion.port}`, `  IdentityFile ${sim.identityPath}`,
      `  UserKnownHostsFile ${bastionKnownHosts}`,
      `Host ${node(2).address}`, '  ProxyJump jump',
      readFileSync(sim.sshConfigPath, 'utf8'),
    ].join('\n'));
    const { pool, asked } = simPool({ sshConfig: config }, { hostKey: true });
    const r = await pool.exec(targetOf(2), toShellLine(grepVersionId()));
    assert.equal(parseOsRelease(r.stdout).versionId, node(2).version);
    assert.deepEqual(bastion.forwards, [{ host: node(2).address, port: node(2).port }]);
    // The bastion was unknown: asked and recorded. The node was checked against the sim's known_hosts.
    assert.deepEqual(asked.hostKeys.map((q) => `${q.host}:${q.port}`), [`${bastion.host}:${bastion.port}`]);
    assert.match(readFileSync(bastionKnownHosts, 'utf8'), new RegExp(`^\\[${bastion.host.replaceAll('.', '\\.')}\\]:${bastion.port} ssh-ed25519 `));
    await pool.exec(targetOf(2), toShellLine(grepVersionId()));
    assert.equal(bastion.connections, 1);

    // The jump host stays only while a node connection rides on it, and a dead one is dialled again.
    pool.drop(targetOf(2));
    await waitFor(() => bastion.openConnections() === 0);
    await pool.exec(targetOf(2), toShellLine(grepVersionId()));
    assert.equal(bastion.connections, 2);
    bastion.dropAll();
    await waitFor(() => pool.stats().openConnections === 0);
    await pool.exec(targetOf(2), toShellLine(grepVersionId()));
    assert.equal(bastion.connections, 3);
    await pool.close();
    await waitFor(() => bastion.openConnections() === 0);
  });

  it('chains two jump hosts and shares them between nodes', async () => {
    const inner = await startTestPeer({ host: block.host(202), authorizedKeys: [readFileSync(`${sim.identityPath}.pub`, 'utf8')], forwarding: true });
    try {
      const outerBefore = { connections: bastion.connections, forwards: bastion.forwards.length };
      const hop = (name: string, peer: TestPeer) => [`Host ${name}`, `  HostName ${peer.host}`, `  Port ${peer.port}`,
        `  IdentityFile ${sim.identityPath}`, `  UserKnownHostsFile ${join(work, 'chain_known_hosts')}`];
      const config = SshConfigFile.parse([
        ...hop('outer', bastion), ...hop('inner', inner),
        `Host ${node(2).address} ${node(3).address}`, '  ProxyJump outer,inner',
        readFileSync(sim.sshConfigPath, 'utf8'),
      ].join('\n'));
      const { pool, asked } = simPool({ sshConfig: config }, { hostKey: true });
      for (const i of [2, 3]) assert.equal(parseOsRelease((await pool.exec(targetOf(i), toShellLine(grepVersionId()))).stdout).versionId, node(i).version);
      assert.deepEqual(asked.hostKeys.map((q) => q.host), [bastion.host, inner.host]); // each hop verified once
      assert.deepEqual(bastion.forwards.slice(outerBefore.forwards), [{ host: inner.host, port: inner.port }]);
      assert.deepEqual(inner.forwards, [2, 3].map((i) => ({ host: node(i).address, port: node(i).port })));
      assert.equal(bastion.connections - outerBefore.connections, 1);
      assert.equal(inner.connections, 1);
      await pool.close();
    } finally {
      await inner.stop();
    }
  });

  it('refuses to continue when the jump host key is rejected', async () => {
    const config = SshConfigFile.parse([
      'Host jump', `  HostName ${bastion.host}`, `  Port ${bastion.port}`, `  IdentityFile ${sim.identityPath}`,
      `  UserKnownHostsFile ${join(work, 'never_known_hosts')}`,
      `Host ${node(2).address}`, '  ProxyJump jump',
      readFileSync(sim.sshConfigPath, 'utf8'),
    ].join('\n'));
    const forwardsBefore = bastion.forwards.length;
    const { pool } = simPool({ sshConfig: config }, { hostKey: false });
    await assert.rejects(pool.exec(targetOf(2), toShellLine(grepVersionId())), isSshError('host-key-unknown-rejected'));
    assert.equal(bastion.forwards.length, forwardsBefore);
    await pool.close();
  });
});

describe('injection: names, addresses and users never reach a shell', () => {
  const HOSTILE = ['w; sudo systemctl reboot', 'w$(sudo systemctl reboot)', "w'; sudo systemctl reboot; '", 'w`reboot`', 'w\nsudo systemctl reboot', 'w" && reboot "'];

  it('a hostile node name is only a label: the node runs exactly the built command', async () => {
    const { pool } = simPool();
    const eventsBefore = simEvents().length;
    for (const nodeName of HOSTILE) {
      const r = await pool.exec({ nodeName, host: node(3).address }, toShellLine(grepVersionId()));
      assert.match(r.stdout, /^VERSION_ID="?[\d.]+"?\n$/); // exactly the one line grep prints
      assert.equal(parseOsRelease(r.stdout).versionId, node(3).version);
      assert.equal(r.stderr, '');
    }
    assert.deepEqual(simEvents().slice(eventsBefore), []); // no reboot, no unit change, nothing
    await pool.close();
  });

  it('hostile users are refused at login and hostile addresses are never dialled', async () => {
    const { pool } = simPool();
    const eventsBefore = simEvents().length;
    for (const user of HOSTILE) {
      await assert.rejects(pool.exec(targetOf(3, { user, port: node(3).port }), toShellLine(systemctl.reboot())), isSshError('auth-rejected'));
    }
    for (const host of HOSTILE.map((h) => `${node(3).address}${h.slice(1)}`)) {
      await assert.rejects(pool.exec({ nodeName: 'n', host }, toShellLine(systemctl.reboot())), isSshError('unreachable'));
    }
    for (const name of HOSTILE) {
      assert.equal(resolveSshTarget({ name, addresses: [] }, { kind: 'template', template: '{name}.example.org' }).ok, false);
      assert.equal(resolveSshTarget({ name: 'n', addresses: [{ type: 'InternalIP', address: name }] }, { kind: 'InternalIP' }).ok, false);
    }
    assert.deepEqual(simEvents().slice(eventsBefore).filter((e) => e.kind !== 'fault'), []);
    await pool.close();
  });
});

// Deadlines are generous: they only matter when something is wrong, and a loaded 2-core CI machine is slow.
async function waitFor(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function probePort(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/** A TCP relay that counts the connections passing through it: independent evidence of connection reuse. */
async function countingProxy(listenHost: string, toHost: string, toPort: number) {
  let count = 0;
  const server: Server = createServer((client) => {
    count++;
    const upstream = tcpConnect({ host: toHost, port: toPort });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, listenHost, () => r()));
  return {
    host: listenHost,
    port: (server.address() as { port: number }).port,
    connections: () => count,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
