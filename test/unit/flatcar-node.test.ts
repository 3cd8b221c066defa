// The Flatcar node adapter over a scripted shell: what reaches the node, what the node's terminal shows, and how
// failures come back. The same adapter against the simulator: test/integration/flatcar-node-sim.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../app/api/errors.ts';
import type { CommandEvent } from '../../app/api/pipeline.ts';
import { COMMAND_TIMEOUT_MS, flatcarNode } from '../../app/flatcar/node.ts';
import { SshError } from '../../app/ssh/errors.ts';
import type { ExecResult, NodeShell, ShellRunOptions } from '../../app/ssh/types.ts';

type Answer = Partial<ExecResult> | Error;

/** A node that answers each shell line from a script (answers are used up in order) and records every call. */
class ScriptedShell implements NodeShell {
  readonly node = 'worker-7';
  readonly calls: Array<{ line: string; opts: ShellRunOptions }> = [];
  resets = 0;
  constructor(private readonly script: Record<string, Answer[]>) {}
  async run(line: string, opts: ShellRunOptions = {}): Promise<ExecResult> {
    this.calls.push({ line, opts });
    const answer = this.script[line]?.shift();
    if (answer === undefined) throw new Error(`unexpected command: ${line}`);
    if (answer instanceof Error) throw answer;
    const out = { stdout: '', stderr: '', exitCode: 0, signal: null, ...answer };
    if (out.stdout) opts.on?.stdout?.(out.stdout);
    if (out.stderr) opts.on?.stderr?.(out.stderr);
    return out;
  }
  reset(): void {
    this.resets++;
  }
}

function adapterOver(script: Record<string, Answer[]>) {
  const shell = new ScriptedShell(script);
  const events: CommandEvent[] = [];
  const node = flatcarNode({ shell, cluster: 'prod', runId: null, onCommand: (e) => events.push(e), nowMs: () => Date.UTC(2026, 11, 4) });
  const terminal = () => events.map((e) => `${e.stream}: ${e.data}`);
  return { shell, node, events, terminal };
}

const rejectsAs = (kind: string, facts: Record<string, unknown> = {}) => (e: unknown) => {
  assert.ok(e instanceof ApiError, String(e));
  assert.equal(e.kind, kind, e.message);
  for (const [key, value] of Object.entries(facts)) assert.equal(e.facts[key], value, key);
  return true;
};

describe('the Flatcar node adapter', () => {
  it("shows every command, its output and its exit in the node's terminal", async () => {
    const { node, events, terminal } = adapterOver({ 'grep VERSION_ID /etc/os-release': [{ stdout: 'VERSION_ID=4230.2.4\n' }] });
    assert.equal(await node.versionId(), '4230.2.4');
    assert.deepEqual(terminal(), ['command: grep VERSION_ID /etc/os-release', 'stdout: VERSION_ID=4230.2.4\n', 'exit: 0']);
    assert.ok(events.every((e) => e.node === 'worker-7' && e.cluster === 'prod' && e.runId === null && e.at === '2026-12-04T00:00:00.000Z'));
    assert.equal(new Set(events.map((e) => e.commandId)).size, 1, 'one command id for one command');
  });

  it('gives every command the same time limit, except the reboot and the health check', async () => {
    const { shell, node } = adapterOver({
      'sudo -n systemctl start update-engine.service': [{}],
      'sudo -n systemctl reboot': [{}],
      "sh -c 'curl -fsS localhost:10248/healthz'": [{ stdout: 'ok' }],
    });
    await node.setUnit('update-engine.service', 'start');
    await node.reboot();
    assert.deepEqual(await node.runHealthCheck('curl -fsS localhost:10248/healthz', 5000), { exitCode: 0, output: 'ok' });
    assert.deepEqual(shell.calls.map((c) => c.opts.timeoutMs), [COMMAND_TIMEOUT_MS, 15_000, 5000]);
  });

  it('refuses an empty health check script before anything runs on the node', async () => {
    const { shell, node } = adapterOver({});
    await assert.rejects(node.runHealthCheck('  ', 5000), rejectsAs('invalid-request', { node: 'worker-7' }));
    assert.equal(shell.calls.length, 0);
  });

  it('reads a unit that is masked or stopped as a state, not as a failure', async () => {
    const { node } = adapterOver({
      'systemctl is-enabled locksmithd.service': [{ stdout: 'masked\n', exitCode: 1 }],
      'systemctl is-active locksmithd.service': [{ stdout: 'inactive\n', exitCode: 3 }],
    });
    assert.deepEqual(await node.unitState('locksmithd.service'), { file: 'masked', active: false });
  });

  it('tries a read once more on a fresh connection after a dropped one, and says so in the terminal', async () => {
    const { shell, node, terminal } = adapterOver({
      'cat /proc/sys/kernel/random/boot_id': [new SshError('disconnected', 'worker-7: the connection closed'), { stdout: '0f5c3b1e-8a46-4a0c-9d2e-3c7f4b8e9a10\n' }],
    });
    assert.equal(await node.bootId(), '0f5c3b1e-8a46-4a0c-9d2e-3c7f4b8e9a10');
    assert.equal(shell.resets, 1);
    assert.deepEqual(terminal().filter((l) => l.startsWith('command') || l.startsWith('exit')), [
      'command: cat /proc/sys/kernel/random/boot_id', 'exit: ssh: worker-7: the connection closed',
      'command: cat /proc/sys/kernel/random/boot_id', 'exit: 0',
    ]);
  });

  it('never repeats a change after a dropped connection', async () => {
    const { shell, node } = adapterOver({ 'sudo -n systemctl mask update-engine.service': [new SshError('disconnected', 'gone')] });
    await assert.rejects(node.setUnit('update-engine.service', 'mask'), rejectsAs('ssh-disconnected', { node: 'worker-7' }));
    assert.equal(shell.calls.length, 1);
  });

  it('explains a failed command with the node, the command line and the exit code', async () => {
    const { node } = adapterOver({
      'sudo -n systemctl stop locksmithd.service': [{ stderr: 'sudo: a password is required\n', exitCode: 1 }],
      'sudo -n systemctl start update-engine.service': [{ stderr: 'Failed to start update-engine.service: Unit update-engine.service is masked.\n', exitCode: 1 }],
    });
    await assert.rejects(node.setUnit('locksmithd.service', 'stop'), rejectsAs('sudo-password-required', { node: 'worker-7', command: 'sudo -n systemctl stop locksmithd.service', exitCode: 1 }));
    await assert.rejects(node.setUnit('update-engine.service', 'start'), rejectsAs('service-masked', { exitCode: 1 }));
  });

  it('turns a command that ran out of time into ssh-timeout naming the command and the limit', async () => {
    const { node } = adapterOver({ 'sudo -n update_engine_client -check_for_update': [new SshError('timeout', 'slow')] });
    await assert.rejects(node.checkForUpdate(), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.kind === 'ssh-timeout');
      assert.equal(e.message, `sudo -n update_engine_client -check_for_update did not finish within ${COMMAND_TIMEOUT_MS / 1000} s`);
      return true;
    });
  });

  it('carries host-key facts of a refused login, without retrying it', async () => {
    const refused = new SshError('host-key-changed', 'worker-7: the host key changed', { host: '10.0.0.7', port: 22, presentedFingerprint: 'SHA256:new', knownFingerprints: ['SHA256:old'] });
    const { shell, node } = adapterOver({ 'grep VERSION_ID /etc/os-release': [refused] });
    await assert.rejects(node.versionId(), rejectsAs('host-key-changed', { host: '10.0.0.7', presentedFingerprint: 'SHA256:new', knownFingerprints: 'SHA256:old' }));
    assert.equal(shell.calls.length, 1);
  });

  it('reports output it cannot read as a failed command, not as a crash', async () => {
    const { node } = adapterOver({ 'sudo -n update_engine_client -status': [{ stdout: 'something else\n' }] });
    await assert.rejects(node.status(), rejectsAs('command-failed', { command: 'sudo -n update_engine_client -status' }));
  });

  it('reads update.conf layers (a missing file is null) and replaces /etc/flatcar/update.conf atomically: stdin into a file next to it, renamed over it', async () => {
    const { shell, node } = adapterOver({
      'cat /etc/flatcar/update.conf': [{ stderr: 'cat: /etc/flatcar/update.conf: No such file or directory\n', exitCode: 1 }],
      'cat /usr/share/flatcar/update.conf': [{ stdout: 'GROUP=stable\n' }],
      'sudo -n tee /etc/flatcar/update.conf.flatdeck-new': [{ stdout: 'SERVER=disabled\n' }],
      'sudo -n mv -f /etc/flatcar/update.conf.flatdeck-new /etc/flatcar/update.conf': [{}],
    });
    assert.equal(await node.updateConf('etc'), null);
    assert.equal(await node.updateConf('usr'), 'GROUP=stable\n');
    await node.writeUpdateConf('SERVER=disabled\n');
    const [write, rename] = shell.calls.slice(-2);
    assert.equal(write?.line, 'sudo -n tee /etc/flatcar/update.conf.flatdeck-new');
    assert.equal(write?.opts.stdin, 'SERVER=disabled\n');
    assert.equal(rename?.line, 'sudo -n mv -f /etc/flatcar/update.conf.flatdeck-new /etc/flatcar/update.conf');
  });

  it('takes a dropped connection under systemctl reboot as the reboot happening and forgets the connection', async () => {
    const { shell, node } = adapterOver({ 'sudo -n systemctl reboot': [new SshError('disconnected', 'closed')] });
    await node.reboot();
    assert.equal(shell.resets, 1);
  });

  it('streams -watch_for_updates statuses as they arrive, with no time limit, until stopped', async () => {
    const update = [
      'I20261204 10:00:00.000001 2584180 update_engine_client.cc:80] Got status update:',
      '  last_checked_time: 1764842400', '  progress: 0', '  current_operation: UPDATE_STATUS_CHECKING_FOR_UPDATE', '  new_version: 0.0.0', '  new_size: 0', '',
    ].join('\n');
    const { shell, node, terminal } = adapterOver({ 'sudo -n update_engine_client -watch_for_updates': [{ stderr: update }] });
    const seen: string[] = [];
    await node.watch((s) => seen.push(s.op), new AbortController().signal);
    assert.equal(shell.calls[0]?.opts.timeoutMs, undefined);
    assert.ok(terminal().some((l) => l.startsWith('stderr: ') && l.includes('current_operation: UPDATE_STATUS_CHECKING_FOR_UPDATE')));
    assert.deepEqual(seen, ['UPDATE_STATUS_CHECKING_FOR_UPDATE']);
  });
});
