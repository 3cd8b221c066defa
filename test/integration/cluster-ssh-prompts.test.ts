// The service's SshPrompter seam over real SSH: a node whose host key is not in known_hosts makes the core ask
// through a `prompt` event; the answer given with `prompt.answer` decides, and an accepted key is recorded.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Prompt } from '../../app/api/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { serviceOnSim } from './service-on-sim.ts';

const prompts: Prompt[] = [];
const world = serviceOnSim({
  sim: { nodes: 2, timeScale: 0.01, workload: false },
  // The simulator's ssh_config, but pointing at an empty known_hosts: every node is unknown.
  sshConfigPath: (sim, dir) => {
    writeFileSync(knownHosts, '');
    const sshConfig = join(dir, 'ssh_config');
    writeFileSync(sshConfig, readFileSync(sim.sshConfigPath, 'utf8').replaceAll(sim.knownHostsPath, knownHosts));
    return sshConfig;
  },
  onEvent: (e) => {
    if (e.topic === 'prompt') prompts.push(e.payload);
  },
});
const knownHosts = join(world.dir, 'known_hosts');

async function answerNextPrompt(accept: boolean, from: number): Promise<Prompt> {
  const p = await waitFor('a host-key prompt', () => prompts.slice(from).find((x) => x.kind === 'host-key-unknown'), { timeoutMs: 15_000 });
  await world.service.call('prompt.answer', { id: p.id, answer: { kind: 'host-key-unknown', accept } });
  return p;
}

describe('unknown SSH host keys are asked through the API', () => {
  it('asks once, connects after the operator accepts, and records the key', async () => {
    const node = world.sim.machines[0]!;
    const from = prompts.length;
    const pending = world.service.call('nodes.refreshLive', { cluster: world.cluster, nodes: [node.name] });
    const p = await answerNextPrompt(true, from);
    assert.ok(p.kind === 'host-key-unknown');
    assert.equal(p.host, node.address);
    assert.match(p.fingerprint, /^SHA256:/);
    const [state] = await pending;
    assert.equal(state?.versionId, node.osRelease().versionId);
    assert.equal(state?.error, null);
    assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(`\\[${node.address.replaceAll('.', '\\.')}\\]:${node.sshPort} ssh-ed25519 `));
    const again = prompts.length;
    await world.service.call('nodes.refreshLive', { cluster: world.cluster, nodes: [node.name] });
    assert.equal(prompts.length, again, 'a recorded key is not asked again');
  });

  it('refuses the node when the operator declines, and says why', async () => {
    const node = world.sim.machines[1]!;
    const from = prompts.length;
    const pending = world.service.call('nodes.refreshLive', { cluster: world.cluster, nodes: [node.name] });
    await answerNextPrompt(false, from);
    const [state] = await pending;
    assert.equal(prompts.length - from, 1, 'asked once, not again for every command');
    assert.equal(state?.versionId, null);
    assert.match(state?.error ?? '', /host key/i);
    assert.doesNotMatch(readFileSync(knownHosts, 'utf8'), new RegExp(node.address.replaceAll('.', '\\.')));
  });
});
