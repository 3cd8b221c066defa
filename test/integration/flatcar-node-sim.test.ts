// The Flatcar node adapter against the simulator: unit states and refusals as the node reports them, and every
// command the auto-update toggle and the live state run showing up in that node's terminal (command events).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiEvent, CommandEvent } from '../../app/api/index.ts';
import { ApiError } from '../../app/api/errors.ts';
import { flatcarNode } from '../../app/flatcar/node.ts';
import { SshConfigFile } from '../../app/ssh/ssh-config.ts';
import { SshPool } from '../../app/ssh/pool.ts';
import { serviceOnSim } from './service-on-sim.ts';

const events: ApiEvent[] = [];
const world = serviceOnSim({ sim: { nodes: 2, timeScale: 0.02, workload: false, scheduledUpdateChecks: false }, onEvent: (e) => events.push(e) });

/** The terminal of one node as the UI folds it: every command line in order, with how it ended. */
function terminal(node: string, from = 0): Array<{ command: string; exit: string | undefined }> {
  const commands = events.slice(from).flatMap((e) => (e.topic === 'command' && e.payload.node === node ? [e.payload] : []));
  return commands.filter((c) => c.stream === 'command').map((c) => ({
    command: c.command,
    exit: commands.find((x) => x.commandId === c.commandId && x.stream === 'exit')?.data,
  }));
}

describe('the Flatcar node adapter on the simulator', () => {
  it('reads a masked update-engine as a state and explains the refused start with the command and exit code', async () => {
    const pool = new SshPool({
      prompter: { confirmHostKey: async () => false, askPassphrase: async () => null },
      sshConfig: await SshConfigFile.load(world.sim.sshConfigPath),
      knownHosts: { userKnownHostsFiles: [world.sim.knownHostsPath] },
      agentSocket: null,
    });
    try {
      const machine = world.sim.machines.find((m) => m.name === 'worker-1')!;
      const seen: CommandEvent[] = [];
      const node = flatcarNode({ shell: pool.shell({ nodeName: machine.name, host: machine.address, port: machine.sshPort }), cluster: 'sim', runId: null, onCommand: (e) => seen.push(e) });
      assert.deepEqual(await node.unitState('update-engine.service'), { file: 'masked', active: false });
      await assert.rejects(node.setUnit('update-engine.service', 'start'), (e: unknown) =>
        e instanceof ApiError && e.kind === 'service-masked' && e.facts.command === 'sudo -n systemctl start update-engine.service' && e.facts.exitCode === 1 && e.facts.node === 'worker-1');
      assert.equal(await node.versionId(), machine.osRelease().versionId);
      assert.match((await node.updateConf('usr')) ?? '', /^GROUP=stable$/m);
      assert.deepEqual(seen.filter((e) => e.stream === 'command').map((e) => e.command), [
        'systemctl is-enabled update-engine.service',
        'systemctl is-active update-engine.service',
        'sudo -n systemctl start update-engine.service',
        'grep VERSION_ID /etc/os-release',
        'cat /usr/share/flatcar/update.conf',
      ]);
    } finally {
      await pool.close();
    }
  });

  it("shows every command of the auto-update toggle in the node's terminal, with its exit", async () => {
    const from = events.length;
    await world.service.call('autoUpdate.status', { cluster: world.cluster });
    const reads = terminal('worker-1', from);
    for (const command of ['systemctl is-enabled update-engine.service', 'systemctl is-active locksmithd.service', 'cat /etc/flatcar/update.conf', 'cat /usr/share/flatcar/update.conf', 'cat /etc/os-release']) {
      assert.ok(reads.some((r) => r.command === command && r.exit !== undefined), `${command} in ${JSON.stringify(reads)}`);
    }
    const plan = await world.service.call('autoUpdate.plan', { cluster: world.cluster, enable: true, options: {} });
    const applyFrom = events.length;
    const report = await world.service.call('autoUpdate.apply', { cluster: world.cluster, planId: plan.planId });
    assert.ok(report.results.every((r) => r.ok), JSON.stringify(report.results));
    const changes = terminal('worker-1', applyFrom).filter((c) => c.command.startsWith('sudo -n systemctl'));
    assert.deepEqual(changes, [
      { command: 'sudo -n systemctl unmask update-engine.service', exit: '0' },
      { command: 'sudo -n systemctl start update-engine.service', exit: '0' },
    ]);
    assert.deepEqual(terminal('worker-2', applyFrom).filter((c) => c.command.startsWith('sudo -n systemctl')), [], 'worker-2 already had what FLUO needs');
    const commandEvents = events.slice(from).flatMap((e) => (e.topic === 'command' ? [e.payload] : []));
    assert.ok(commandEvents.every((e) => e.runId === null && e.cluster === world.cluster));
  });

  it("shows the live state's reads in the node's terminal too", async () => {
    const from = events.length;
    const [state] = await world.service.call('nodes.refreshLive', { cluster: world.cluster, nodes: ['worker-1'] });
    assert.equal(state?.updateEngineUnit, 'vendor-enabled', 'unmasked, it runs from the image\'s own link (is-enabled: disabled)');
    assert.deepEqual(terminal('worker-1', from).map((c) => c.command).sort(), [
      'cat /etc/flatcar/update.conf',
      'cat /usr/share/flatcar/update.conf',
      'grep VERSION_ID /etc/os-release',
      'sudo -n update_engine_client -status',
      'systemctl is-active update-engine.service',
      'systemctl is-enabled update-engine.service',
    ]);
    // is-enabled exits 1 for a unit only the image's link starts, as on a real node; that is a state, not a failure
    assert.deepEqual(terminal('worker-1', from).filter((c) => c.exit !== '0').map((c) => `${c.command}: ${c.exit}`), ['systemctl is-enabled update-engine.service: 1']);
  });
});
