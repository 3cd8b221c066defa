// The service's SshPrompter seam over real SSH: a node whose host key is not in known_hosts makes the core ask
// through a `prompt` event; the answer given with `prompt.answer` decides, and an accepted key is recorded.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Prompt } from '../../app/api/index.ts';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { waitFor } from '../support/wait-for.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { connectedService, type SimService } from './service-on-sim.ts';

const block = loopbackBlock();

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-ssh-prompts-'));
const knownHosts = join(dir, 'known_hosts');
let sim: SimCluster;
let service: SimService;
const prompts: Prompt[] = [];
let cluster = '';

before(async () => {
  sim = await startSimCluster({ nodes: 2, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: block.base, timeScale: 0.01, workload: false });
  // The simulator's ssh_config, but pointing at an empty known_hosts: every node is unknown.
  writeFileSync(knownHosts, '');
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(sshConfig, readFileSync(sim.sshConfigPath, 'utf8').replaceAll(sim.knownHostsPath, knownHosts));
  ({ service, cluster } = await connectedService(sim, {
    dataDir: join(dir, 'data'),
    sshConfigPath: sshConfig,
    onEvent: (e) => {
      if (e.topic === 'prompt') prompts.push(e.payload);
    },
  }));
});

after(async () => {
  await service?.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function answerNextPrompt(accept: boolean, from: number): Promise<Prompt> {
  const p = await waitFor('a host-key prompt', () => prompts.slice(from).find((x) => x.kind === 'host-key-unknown'), { timeoutMs: 15_000 });
  await service.call('prompt.answer', { id: p.id, answer: { kind: 'host-key-unknown', accept } });
  return p;
}

describe('unknown SSH host keys are asked through the API', () => {
  it('asks once, connects after the operator accepts, and records the key', async () => {
    const node = sim.machines[0]!;
    const from = prompts.length;
    const pending = service.call('nodes.refreshLive', { cluster, nodes: [node.name] });
    const p = await answerNextPrompt(true, from);
    assert.ok(p.kind === 'host-key-unknown');
    assert.equal(p.host, node.address);
    assert.match(p.fingerprint, /^SHA256:/);
    const [state] = await pending;
    assert.equal(state?.versionId, node.osRelease().versionId);
    assert.equal(state?.error, null);
    assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(`\\[${node.address.replaceAll('.', '\\.')}\\]:${node.sshPort} ssh-ed25519 `));
    const again = prompts.length;
    await service.call('nodes.refreshLive', { cluster, nodes: [node.name] });
    assert.equal(prompts.length, again, 'a recorded key is not asked again');
  });

  it('refuses the node when the operator declines, and says why', async () => {
    const node = sim.machines[1]!;
    const from = prompts.length;
    const pending = service.call('nodes.refreshLive', { cluster, nodes: [node.name] });
    await answerNextPrompt(false, from);
    const [state] = await pending;
    assert.equal(prompts.length - from, 1, 'asked once, not again for every command');
    assert.equal(state?.versionId, null);
    assert.match(state?.error ?? '', /host key/i);
    assert.doesNotMatch(readFileSync(knownHosts, 'utf8'), new RegExp(node.address.replaceAll('.', '\\.')));
  });
});
