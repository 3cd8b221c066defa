import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { NodeSummary } from '../../app/api/nodes.ts';
import { defineCommand, EXIT, type CliCommand } from '../../main/cli/command.ts';
import { nodeRow, nodesCommand, nodesTable } from '../../main/cli/commands/nodes.ts';
import { builtinCommands, loadedEntry } from '../../main/cli/commands/index.ts';
import { runCli } from '../../main/cli/run.ts';
import { capturedIo } from './cli-captured-io.ts';

const seen: unknown[] = [];
const echo = defineCommand({
  name: 'echo',
  help: 'usage: flatdeck echo --times N WORD',
  options: { times: { type: 'string' }, help: { type: 'boolean' } },
  allowPositionals: true,
  args: z
    .object({ values: z.object({ times: z.string().regex(/^\d+$/, '--times must be a number').transform(Number) }).loose(), positionals: z.array(z.string()).length(1, 'give exactly one WORD') })
    .transform(({ values, positionals }) => ({ times: values.times, word: positionals[0]! })),
  async run(args) {
    seen.push(args);
    return args.times === 0 ? EXIT.failed : EXIT.ok;
  },
});
const registry = new Map([['echo', loadedEntry('test command', echo as CliCommand)]]);

describe('the CLI host', () => {
  it('parses flags with parseArgs, validates them with the command schema and runs it', async () => {
    const t = capturedIo();
    assert.equal(await runCli(['echo', '--times', '3', 'hi'], t, registry), EXIT.ok);
    assert.deepEqual(seen.at(-1), { times: 3, word: 'hi' });
    assert.equal(await runCli(['echo', '--times', '0', 'hi'], t, registry), EXIT.failed);
  });

  it('exits 2 with a readable message for unknown commands, unknown flags and bad values', async () => {
    const a = capturedIo();
    assert.equal(await runCli(['nope'], a, registry), EXIT.usage);
    assert.match(a.err(), /unknown command "nope"\. Commands: echo/);
    const b = capturedIo();
    assert.equal(await runCli(['echo', '--time', '3', 'x'], b, registry), EXIT.usage);
    assert.match(b.err(), /Unknown option '--time'/);
    const c = capturedIo();
    assert.equal(await runCli(['echo', '--times', 'many', 'x'], c, registry), EXIT.usage);
    assert.match(c.err(), /--times must be a number/);
    const d = capturedIo();
    assert.equal(await runCli(['echo', '--times', '1'], d, registry), EXIT.usage);
    assert.match(d.err(), /give exactly one WORD/);
  });

  it('prints the overview with exit codes, and per-command help', async () => {
    const a = capturedIo();
    assert.equal(await runCli(['--help'], a, registry), EXIT.ok);
    assert.match(a.out(), /echo\s+test command/);
    assert.match(a.out(), /exit codes:[\s\S]*3\s+the cluster could not be used/);
    const b = capturedIo();
    assert.equal(await runCli(['echo', '--help'], b, registry), EXIT.ok);
    assert.equal(b.out(), 'usage: flatdeck echo --times N WORD\n');
  });

  it('knows the built-in commands by name and loads one only when it is used', async () => {
    assert.deepEqual([...builtinCommands.keys()], ['nodes', 'update', 'rollout', 'rollback', 'reboot', 'channel', 'resume', 'auto-update', 'md', 'serve']);
    assert.equal(await builtinCommands.get('nodes')!.load(), nodesCommand);
  });

  it('validates the nodes flags before touching any cluster', async () => {
    const commands = builtinCommands;
    const t = capturedIo();
    assert.equal(await runCli(['nodes', '--demo-nodes', '0', '--demo'], t, commands), EXIT.usage);
    assert.match(t.err(), /--demo-nodes must be 1 to 250/);
    const u = capturedIo();
    assert.equal(await runCli(['nodes', 'extra'], u, commands), EXIT.usage);
    const v = capturedIo();
    assert.equal(await runCli(['nodes', '--help'], v, commands), EXIT.ok);
    assert.match(v.out(), /--ssh-config F/);
    assert.match(v.out(), /exit codes:/);
  });
});

describe('flatdeck nodes output', () => {
  const base: NodeSummary = {
    name: 'worker-1',
    roles: ['worker'],
    addresses: { internalIP: '10.0.0.1', externalIP: null, hostname: 'worker-1' },
    osImage: 'Flatcar Container Linux by Kinvolk 4757.2.0',
    distribution: 'flatcar',
    flatcarVersion: '4757.2.0',
    channel: 'stable',
    kernelVersion: '6.6',
    kubeletVersion: 'v1.33.4',
    ready: 'True',
    lastHeartbeat: null,
    unschedulable: false,
    taints: [],
    bootID: 'b',
    fluo: null,
    flatdeck: null,
    stagedVersion: null,
    machineDeployment: null,
    createdAt: null,
  };

  it('takes version and update state from SSH when asked, else from osImage and FLUO', () => {
    const live = nodeRow(base, {
      node: 'worker-1',
      at: '',
      updateEngine: { lastCheckedTime: 1, progress: 0.42, currentOp: 'UPDATE_STATUS_DOWNLOADING', newVersion: '4801.2.0', newSize: 1 },
      updateEngineUnit: 'enabled',
      versionId: '4757.2.0',
      error: null,
    });
    assert.deepEqual(live.update, { source: 'ssh', state: 'DOWNLOADING', word: 'Downloading', progress: 0.42, newVersion: '4801.2.0' });
    const fluo = nodeRow({ ...base, fluo: { status: 'UPDATE_STATUS_UPDATE_AVAILABLE', newVersion: '4801.2.0', lastCheckedTime: '1', rebootNeeded: false, rebootOk: false, rebootInProgress: false, rebootPaused: false, beforeReboot: false, afterReboot: false, phase: 'UPDATE_AVAILABLE', heldBy: null } }, undefined);
    assert.deepEqual(fluo.update, { source: 'fluo', state: 'UPDATE_AVAILABLE', word: 'Update available', progress: null, newVersion: '4801.2.0' });
    assert.equal(fluo.versionSource, 'osImage');
    const table = nodesTable([live, { ...fluo, name: 'a-much-longer-node-name', cordoned: true }]);
    assert.equal(
      table,
      [
        'NAME                     OS       VERSION   CHANNEL  READY  CORDONED  UPDATE                       ATTENTION',
        'worker-1                 flatcar  4757.2.0  stable   True   no        Downloading 42% → 4801.2.0   -',
        'a-much-longer-node-name  flatcar  4757.2.0  stable   True   yes       Update available → 4801.2.0  -',
        '',
      ].join('\n'),
    );
  });

  it('words states as the GUI does: a masked update-engine is "update-engine off", an SSH failure "Not reachable"', () => {
    const read = { node: 'worker-1', at: '', updateEngine: null, versionId: '4757.2.0' };
    const masked = nodeRow(base, { ...read, updateEngineUnit: 'masked', error: null });
    assert.equal(masked.update.state, 'MASKED', 'scripts keep the machine word');
    assert.equal(masked.update.word, 'update-engine off');
    assert.equal(nodeRow(base, { ...read, updateEngineUnit: null, error: 'connect ECONNREFUSED' }).update.word, 'Not reachable');
    const idle = nodeRow(base, { ...read, updateEngine: { lastCheckedTime: 1, progress: 0, currentOp: 'UPDATE_STATUS_IDLE', newVersion: '0.0.0', newSize: 0 }, updateEngineUnit: 'enabled', error: null });
    assert.match(nodesTable([idle]).split('\n')[1] ?? '', / Idle +-$/);
    const ubuntu = { ...base, distribution: 'ubuntu' as const, osImage: 'Ubuntu 24.04', flatcarVersion: null, channel: null };
    assert.equal(nodeRow(ubuntu, undefined).update.word, 'Not Flatcar', 'not read over SSH: only the OS is known');
    const sentinel = (required: boolean) => ({ node: 'worker-1', at: '', updateEngine: null, updateEngineUnit: null, versionId: null, rebootRequired: { required, packages: required ? ['linux-base'] : [] }, error: null });
    assert.equal(nodeRow(ubuntu, sentinel(true)).update.word, 'Reboot needed', "an Ubuntu node's /var/run/reboot-required");
    assert.equal(nodeRow(ubuntu, sentinel(false)).update.word, 'Idle');
  });

  it("names the channel update_engine asks for (GROUP read over SSH), not the running release's", () => {
    const read = { node: 'worker-1', at: '', updateEngine: null, updateEngineUnit: 'masked' as const, versionId: '4757.2.0', error: null };
    assert.equal(nodeRow(base, { ...read, group: 'beta' }).channel, 'beta');
    assert.equal(nodeRow(base, read).channel, 'stable', 'GROUP not read: the release says stable');
    assert.equal(nodeRow(base, undefined).channel, 'stable');
  });

  it('says which nodes boot a staged update at their next reboot, from the Node objects', () => {
    const staged = nodeRow({ ...base, stagedVersion: '4757.2.3', flatdeck: { instance: 'me@host#1', step: 'update', since: '', cordonedByUs: false, attention: 'boots 4757.2.3 at its next reboot: the update is staged' } }, undefined);
    assert.equal(staged.stagedVersion, '4757.2.3');
    assert.match(staged.attention ?? '', /^boots 4757\.2\.3 at its next reboot/);
    const failed = nodeRow({ ...base, name: 'worker-2', flatdeck: { instance: 'me@host#1', step: 'drain', since: '', cordonedByUs: true, attention: 'drain timed out' } }, undefined);
    const lines = nodesTable([staged, failed, nodeRow({ ...base, name: 'worker-3' }, undefined)]).split('\n');
    assert.match(lines[1] ?? '', /^worker-1 .* boots 4757\.2\.3 at next reboot$/);
    assert.match(lines[2] ?? '', /^worker-2 .* needs attention$/);
    assert.match(lines[3] ?? '', /^worker-3 .* -$/);
  });
});

describe('flatdeck --version', () => {
  it('prints the package version', async () => {
    const t = capturedIo();
    assert.equal(await runCli(['--version'], t, new Map()), EXIT.ok);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(t.out(), `flatdeck ${pkg.version}\n`);
  });
});
