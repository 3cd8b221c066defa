import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyExecResult, commandTimedOut } from '../../app/flatcar/classify.ts';
import { updateEngineClient } from '../../app/flatcar/update-engine.ts';
import { systemctl } from '../../app/flatcar/systemctl.ts';
import { grepVersionId, readOsRelease } from '../../app/flatcar/os-release.ts';

const out = (exitCode: number | null, stderr: string, signal: string | null = null) => ({ stdout: '', stderr, exitCode, signal });

describe('classifyExecResult', () => {
  it('treats exit 0 as success', () => {
    assert.equal(classifyExecResult(grepVersionId(), { stdout: 'VERSION_ID=1.2.3\n', stderr: '', exitCode: 0, signal: null }), undefined);
  });

  it('recognises a masked service', () => {
    const e = classifyExecResult(systemctl.start('update-engine.service'),
      out(1, 'Failed to start update-engine.service: Unit update-engine.service is masked.\n'), 'node-1');
    assert.equal(e?.kind, 'service-masked');
    assert.equal(e?.facts.unit, 'update-engine.service');
    assert.equal(e?.facts.node, 'node-1');
    assert.equal(e?.facts.command, 'sudo -n systemctl start update-engine.service');
    assert.equal(e?.facts.exitCode, 1);
  });

  it('recognises the D-Bus proxy give-up (exit 1 after ~30 s)', () => {
    const stderr = [
      'I0530 15:38:14.290454  2224 update_engine_client.cc:241] Querying Update Engine status...',
      "W0530 15:38:14.291000  2224 update_engine_client.cc:60] Error getting dbus proxy for com.coreos.update1: GError(3): Could not get owner of name 'com.coreos.update1': no such name",
      'I0530 15:38:24.291000  2224 update_engine_client.cc:51] Retrying to get dbus proxy. Try 2/4',
      'E0530 15:38:44.291000  2224 update_engine_client.cc:65] Giving up -- unable to get dbus proxy for com.coreos.update1',
    ].join('\n');
    const e = classifyExecResult(updateEngineClient.status(), out(1, stderr));
    assert.equal(e?.kind, 'dbus-unavailable');
    assert.match(e?.facts.stderrTail ?? '', /Giving up/);
  });

  it('recognises the check_for_update abort (exit 134, Check failed)', () => {
    // coreos/bugs#696 (CoreOS-era log format)
    const stderr = '[0926/195645:INFO:update_engine_client.cc(255)] Initiating update check and install.\n' +
      '[0926/195645:FATAL:update_engine_client.cc(183)] Check failed: rc == 1 (0 vs. 1)Error checking for update: GError(9): Rejected send message, 2 matched rules; type="method_call"\n';
    const e = classifyExecResult(updateEngineClient.checkForUpdate(), out(134, stderr));
    assert.equal(e?.kind, 'update-engine-aborted');
    assert.match(e?.message ?? '', /D-Bus rejected/);
    assert.equal(classifyExecResult(updateEngineClient.checkForUpdate(), out(null, 'Check failed: rc == 1', 'ABRT'))?.kind, 'update-engine-aborted');
  });

  it('recognises sudo wanting a password, a missing command and a missing file', () => {
    assert.equal(classifyExecResult(systemctl.reboot(), out(1, 'sudo: a password is required\n'))?.kind, 'sudo-password-required');
    assert.equal(classifyExecResult(updateEngineClient.status(), out(127, 'sudo: update_engine_client: command not found\n'))?.kind, 'command-not-found');
    assert.equal(classifyExecResult(updateEngineClient.status(), out(127, 'sh: 1: update_engine_client: not found\n'))?.kind, 'command-not-found');
    const missing = classifyExecResult(readOsRelease(), out(1, 'cat: /etc/os-release: No such file or directory\n'));
    assert.equal(missing?.kind, 'file-not-found');
    assert.match(missing?.message ?? '', /\/etc\/os-release does not exist/);
  });

  it('falls back to command-failed with the facts', () => {
    const e = classifyExecResult(updateEngineClient.resetStatus(), out(1, 'E… Reset not allowed\n'));
    assert.equal(e?.kind, 'command-failed');
    assert.match(e?.message ?? '', /exited with code 1/);
    const killed = classifyExecResult(updateEngineClient.update(), out(null, '', 'KILL'));
    assert.match(killed?.message ?? '', /killed by signal KILL/);
  });

  it('describes a timeout', () => {
    const e = commandTimedOut(updateEngineClient.status(), 45_000, { node: 'n1', stderr: 'Retrying to get dbus proxy. Try 2/4' });
    assert.equal(e.kind, 'timeout');
    assert.match(e.message, /did not finish within 45 s/);
    assert.equal(e.facts.node, 'n1');
  });
});
