// Settings `ssh.jumpHost` and `ssh.identityFile` on the simulated fleet, through the service as the UI sets them:
// they reach the SSH pool like `ssh -J` and `ssh -i` (the ssh_config names no key and no ProxyJump for the nodes).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiError, Settings } from '../../app/api/index.ts';
import { createService } from '../../app/service/index.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { startTestPeer, type TestPeer } from '../unit/ssh-test-peer.ts';

const block = loopbackBlock();
const work = mkdtempSync(join(tmpdir(), 'flatdeck-ssh-settings-'));
// No key of the machine's own user may answer for the nodes: only what the settings name.
const home = join(work, 'home');
mkdirSync(home);
process.env.HOME = home;

describe('jump host and identity file from Settings', () => {
  let sim: SimCluster;
  let bastion: TestPeer;
  let service: ReturnType<typeof createService>;
  let cluster: string;

  before(async () => {
    sim = await startSimCluster({ nodes: 2, stateDir: join(work, 'sim'), sshPort: 0, addressBase: block.base, timeScale: 0.02, workload: false, scheduledUpdateChecks: false });
    bastion = await startTestPeer({ host: block.host(200), authorizedKeys: [readFileSync(`${sim.identityPath}.pub`, 'utf8')], forwarding: true });
    const knownHosts = join(work, 'known_hosts');
    writeFileSync(knownHosts, `${readFileSync(sim.knownHostsPath, 'utf8')}[${bastion.host}]:${bastion.port} ${bastion.hostKeyPublic}\n`);
    const sshConfig = join(work, 'ssh_config');
    writeFileSync(sshConfig, [
      'Host bastion', `  HostName ${bastion.host}`, `  Port ${bastion.port}`, `  IdentityFile ${sim.identityPath}`,
      ...sim.nodes.flatMap((n) => [`Host ${n.address}`, `  Port ${n.port}`]),
    ].join('\n'));
    service = createService({ dataDir: join(work, 'data'), kubeconfigPaths: [sim.kubeconfigPath], sshConfigPath: sshConfig, knownHostsPath: knownHosts, loginShellPath: false });
    cluster = (await service.call('clusters.list', {}))[0]!.id;
  });
  after(async () => {
    await service?.close();
    await bastion?.stop();
    await sim?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const ssh = (patch: Partial<Settings['ssh']>) => ({ ...Settings.parse({}).ssh, useAgent: false, ...patch });

  it('without them the nodes refuse the login and nothing goes through the bastion', async () => {
    await service.call('settings.set', { ssh: ssh({}) });
    const live = await service.call('nodes.refreshLive', { cluster });
    assert.equal(live.length, 2);
    for (const state of live) assert.match(state.error ?? '', /authenticat|denied|key/i, `${state.node}: ${state.error}`);
    const preflight = await service.call('nodes.preflight', { cluster, node: sim.nodes[0]!.name });
    assert.equal(preflight.versionId, null, 'the pipeline cannot log in either');
    assert.deepEqual(bastion.forwards, []);
  });

  it('with them every node is reached through the bastion with the named key', async () => {
    await service.call('settings.set', { ssh: ssh({ jumpHost: 'core@bastion', identityFile: sim.identityPath }) });
    const live = await service.call('nodes.refreshLive', { cluster });
    assert.deepEqual(
      live.map((s) => [s.node, s.versionId, s.error]).sort(),
      sim.nodes.map((n) => [n.name, n.version, null]).sort(),
    );
    assert.deepEqual(bastion.forwards.map((f) => `${f.host}:${f.port}`).sort(), sim.nodes.map((n) => `${n.address}:${n.port}`).sort());
    assert.equal(bastion.connections, 1, 'one bastion connection carries both nodes');
    const preflight = await service.call('nodes.preflight', { cluster, node: sim.nodes[0]!.name });
    assert.equal(preflight.versionId, sim.nodes[0]!.version, 'the pipeline, built before the change, takes the new settings too');
  });

  it('refuses a jump host that is not [user@]host[:port] and keeps the previous settings', async () => {
    await assert.rejects(service.call('settings.set', { ssh: ssh({ jumpHost: 'core@bastion host' }) }), (e: unknown) => e instanceof ApiError && e.kind === 'invalid-request' && /jump host/.test(e.message));
    assert.equal((await service.call('settings.get', {})).ssh.jumpHost, 'core@bastion');
  });
});
