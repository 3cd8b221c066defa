import type { NodeLiveState } from '../api/nodes.ts';
import type { UpdateEngineStatus } from '../api/update-engine.ts';
import { classifyExecResult } from '../flatcar/classify.ts';
import type { Command } from '../flatcar/command.ts';
import { tryParse, type FlatcarError } from '../flatcar/errors.ts';
import { grepVersionId, parseOsRelease } from '../flatcar/os-release.ts';
import { parseIsEnabled, systemctl, type UnitFileState } from '../flatcar/systemctl.ts';
import { parseUpdateEngineStatus, updateEngineClient } from '../flatcar/update-engine.ts';
import type { SshTarget } from '../ssh/types.ts';
import { SshError } from '../ssh/errors.ts';
import type { SshPool } from '../ssh/pool.ts';

const COMMAND_TIMEOUT_MS = 45_000;

function unitWord(state: UnitFileState): NonNullable<NodeLiveState['updateEngineUnit']> {
  if (state === 'enabled' || state === 'enabled-runtime') return 'enabled';
  if (state === 'masked' || state === 'masked-runtime') return 'masked';
  if (state === 'disabled' || state === 'static') return state;
  return 'unknown';
}

/** `ssh` marks a failure to reach or log in to the node (as opposed to a command that failed there). */
type Step<T> = { ok: true; value: T } | { ok: false; error: string; ssh?: boolean };

async function run<T>(pool: SshPool, target: SshTarget, cmd: Command, parse: (out: { stdout: string; stderr: string; exitCode: number | null }) => T, opts: { acceptExit?: boolean } = {}): Promise<Step<T>> {
  let out;
  try {
    out = await pool.exec(target, cmd, { timeoutMs: COMMAND_TIMEOUT_MS });
  } catch (err) {
    return { ok: false, error: (err as Error).message, ssh: err instanceof SshError };
  }
  // `systemctl is-enabled` exits non-zero for disabled/masked units; its parser checks the code itself.
  const failure: FlatcarError | undefined = opts.acceptExit ? undefined : classifyExecResult(cmd, out, target.nodeName);
  if (failure) return { ok: false, error: failure.message };
  const parsed = tryParse(() => parse(out));
  return parsed.ok ? parsed : { ok: false, error: parsed.error.message };
}

/**
 * What the node itself says right now, over SSH: VERSION_ID, whether update-engine is enabled, and
 * `update_engine_client -status`. A masked unit (updates disabled, e.g. KKP) is a state, not an error: -status
 * is skipped then, because the client would retry D-Bus for ~30 s and give up.
 */
export async function readLiveState(pool: SshPool, target: SshTarget): Promise<NodeLiveState> {
  const [version, unit] = await Promise.all([
    run(pool, target, grepVersionId(), (o) => parseOsRelease(o.stdout).versionId),
    run(pool, target, systemctl.isEnabled('update-engine.service'), parseIsEnabled, { acceptExit: true }),
  ]);
  const unitState = unit.ok ? unitWord(unit.value.state) : null;
  let updateEngine: UpdateEngineStatus | null = null;
  const errors: string[] = [];
  // Not reaching the node (refused host key, login, network) is one error, and -status is not tried: it would
  // only ask the operator the same question again.
  const sshFailure = version.ok ? (unit.ok || !unit.ssh ? null : unit) : version.ssh ? version : null;
  if (sshFailure) errors.push(sshFailure.error);
  else {
    if (!version.ok) errors.push(version.error);
    if (!unit.ok) errors.push(unit.error);
  }
  if (!sshFailure && unitState !== 'masked') {
    const status = await run(pool, target, updateEngineClient.status(), (o) => parseUpdateEngineStatus(o.stdout));
    if (!status.ok) errors.push(status.error);
    else {
      const { currentOp: op, lastCheckedTime, progress, newVersion, newSize } = status.value;
      if (op === 'unknown status') errors.push('update_engine reported an unknown status');
      else updateEngine = { lastCheckedTime, progress, currentOp: op, newVersion, newSize };
    }
  }
  return {
    node: target.nodeName,
    at: new Date().toISOString(),
    updateEngine,
    updateEngineUnit: unitState,
    versionId: version.ok ? version.value : null,
    error: errors.length ? errors.join('; ') : null,
  };
}
