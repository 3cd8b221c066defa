import type { NodeLiveState } from '../api/nodes.ts';
import { UpdateOp, type UpdateEngineStatus } from '../api/update-engine.ts';
import { effectiveGroup } from '../flatcar/channel.ts';
import type { FlatcarNode } from '../flatcar/node.ts';
import { nodeFailure, notReached } from '../flatcar/node-errors.ts';
import { summarizeUnitFile } from '../flatcar/systemctl.ts';

/** `reached` is false when the node could not be reached or logged in to (as opposed to a command failing there). */
type Step<T> = { ok: true; value: T } | { ok: false; error: string; reached: boolean };

async function step<T>(node: FlatcarNode, read: () => Promise<T>): Promise<Step<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    const failure = nodeFailure(err, node.name);
    return { ok: false, error: failure.message, reached: !notReached(failure) };
  }
}

/**
 * What the node itself says right now, over SSH: VERSION_ID, whether update-engine is enabled, and
 * `update_engine_client -status`. A masked unit (updates disabled, e.g. KKP) is a state, not an error: -status
 * is skipped then, because the client would retry D-Bus for ~30 s and give up.
 */
export async function readLiveState(node: FlatcarNode): Promise<NodeLiveState> {
  const [version, unit, conf] = await Promise.all([
    step(node, () => node.versionId()),
    step(node, () => node.unitState('update-engine.service')),
    step(node, () => Promise.all([node.updateConf('etc'), node.updateConf('usr')])),
  ]);
  const unitState = unit.ok ? summarizeUnitFile(unit.value.file) : null;
  let updateEngine: UpdateEngineStatus | null = null;
  const errors: string[] = [];
  // Not reaching the node (refused host key, login, network) is one error, and -status is not tried: it would
  // only ask the operator the same question again.
  const unreached = [version, unit, conf].find((s) => !s.ok && !s.reached);
  if (unreached && !unreached.ok) errors.push(unreached.error);
  else for (const s of [version, unit, conf]) if (!s.ok) errors.push(s.error);
  if (!unreached && unitState !== 'masked' && unitState !== 'masked-runtime') {
    const status = await step(node, () => node.status());
    if (!status.ok) errors.push(status.error);
    else {
      const { op, lastCheckedTime, progress, newVersion, newSize } = status.value;
      const currentOp = UpdateOp.safeParse(op);
      if (!currentOp.success) errors.push('update_engine reported an unknown status');
      else updateEngine = { lastCheckedTime, progress, currentOp: currentOp.data, newVersion, newSize };
    }
  }
  return {
    node: node.name,
    at: new Date().toISOString(),
    updateEngine,
    updateEngineUnit: unitState,
    versionId: version.ok ? version.value : null,
    group: conf.ok ? effectiveGroup(conf.value[0], conf.value[1], version.ok ? version.value : null) : null,
    error: errors.length ? errors.join('; ') : null,
  };
}

/** An Ubuntu node has no update_engine: what it says is whether a package asked for a reboot (kured's sentinel). */
export async function readUbuntuLiveState(node: FlatcarNode): Promise<NodeLiveState> {
  const read = await step(node, () => node.rebootRequired());
  return {
    node: node.name,
    at: new Date().toISOString(),
    updateEngine: null,
    updateEngineUnit: null,
    versionId: null,
    rebootRequired: read.ok ? read.value : null,
    error: read.ok ? null : read.error,
  };
}
