// FLUO's update-agent, one container process on one node (pkg/agent/agent.go klocksmith.process): labels the
// node with its OS info, resets reboot-needed/reboot-in-progress to "false", waits until reboot-ok is no longer
// "true" (and uncordons if it had cordoned before the reboot), mirrors update_engine's operation into
// annotations on every change of CurrentOperation, and once the operator sets reboot-ok while reboot-needed is
// "true": marks reboot-in-progress, cordons, drains, and reboots the machine.
import type { KubeRestClient } from '../kubelet/rest-client.ts';
import type { DrainOptions } from './drain.ts';
import { Drainer } from './drain.ts';
import type { FluoHost, UpdateEngineSignal } from './host.ts';
import { FALSE, fluoKey, TRUE } from './keys.ts';
import type { FluoNodeApi } from './node-api.ts';
import { sleep } from './timing.ts';
import { readVersionInfo } from './version-info.ts';

export interface AgentConfig {
  host: FluoHost;
  client: KubeRestClient;
  nodes: FluoNodeApi;
  /** --force-drain */
  forceDrain: boolean;
  /** real ms: retry interval of a failed status write (defaultPollInterval 10 s) */
  pollMs: number;
  /** real ms: how long to wait for the operator (defaultMaxOperatorResponseTime 24 h) */
  maxOperatorResponseMs: number;
  drain: Omit<DrainOptions, 'force'>;
  log: (message: string) => void;
}

const NEED_REBOOT = 'UPDATE_STATUS_UPDATED_NEED_REBOOT';
const NO_STATUS: UpdateEngineSignal = { lastCheckedTime: 0, progress: 0, currentOperation: '', newVersion: '', newSize: 0 };
/** After asking for the reboot the process sleeps a week; the machine goes down long before. */
const AFTER_REBOOT_MS = 7 * 24 * 3600 * 1000;

export async function runAgent(cfg: AgentConfig, signal: AbortSignal): Promise<void> {
  const name = cfg.host.name;
  const { nodes } = cfg;

  const info = readVersionInfo(cfg.host);
  await nodes.update(name, (n) => Object.assign(n.metadata.labels, { [fluoKey.id]: info.id, [fluoKey.group]: info.group, [fluoKey.version]: info.version }), signal);

  let node = await nodes.getRetry(name, signal);
  const madeUnschedulable = node.metadata.annotations?.[fluoKey.agentMadeUnschedulable];
  await nodes.setAnnotationsLabels(name, { [fluoKey.rebootInProgress]: FALSE, [fluoKey.rebootNeeded]: FALSE }, { [fluoKey.rebootNeeded]: FALSE }, signal);

  // Since reboot-needed is "false" now, the operator clears reboot-ok; wait for that or we would reboot-loop.
  node = await nodes.get(name);
  if (node.metadata.annotations?.[fluoKey.rebootOk] === TRUE) {
    await nodes.waitFor(node, (a) => a[fluoKey.rebootOk] !== TRUE, cfg.maxOperatorResponseMs, signal);
  }
  if (madeUnschedulable === TRUE) {
    await nodes.setUnschedulable(name, false, signal);
    await nodes.setAnnotationsLabels(name, { [fluoKey.agentMadeUnschedulable]: FALSE }, {}, signal);
  } else if (madeUnschedulable !== undefined) {
    cfg.log(`fluo agent ${name}: Skipping marking node as schedulable -- node was marked unschedulable by an external source`);
  }

  const stopWatching = watchUpdateStatus(cfg, signal);
  try {
    await waitForOkToReboot(cfg, signal);
    node = await nodes.getRetry(name, signal);
    const alreadyUnschedulable = node.spec?.unschedulable === true;
    await nodes.setAnnotationsLabels(
      name,
      { [fluoKey.rebootInProgress]: TRUE, ...(alreadyUnschedulable ? {} : { [fluoKey.agentMadeUnschedulable]: TRUE }) },
      {},
      signal,
    );
    if (!alreadyUnschedulable) await nodes.setUnschedulable(name, true, signal);

    const drainer = new Drainer(cfg.client, { ...cfg.drain, force: cfg.forceDrain }, signal);
    const { pods, errors } = await drainer.podsForDeletion(name);
    if (errors.length > 0) throw new Error(`getting pods for deletion: [${errors.join(', ')}]`);
    try {
      await drainer.evictAndWait(pods);
    } catch (err) {
      if (signal.aborted) throw err;
      cfg.log(`fluo agent ${name}: Ignoring node drain error and proceeding with reboot: ${(err as Error).message}`);
    }
    cfg.host.reboot();
    await sleep(AFTER_REBOOT_MS, signal);
  } finally {
    stopWatching();
  }
}

/** Blocks until reboot-ok and reboot-needed are both "true"; a failed wait (watch closed, error) starts over. */
async function waitForOkToReboot(cfg: AgentConfig, signal: AbortSignal): Promise<void> {
  for (;;) {
    try {
      const node = await cfg.nodes.get(cfg.host.name);
      await cfg.nodes.waitFor(node, (a) => a[fluoKey.rebootOk] === TRUE && a[fluoKey.rebootNeeded] === TRUE, cfg.maxOperatorResponseMs, signal);
      return;
    } catch (err) {
      if (signal.aborted) throw err;
      cfg.log(`fluo agent ${cfg.host.name}: Error waiting for an ok-to-reboot: ${(err as Error).message}`);
      await sleep(cfg.pollMs, signal);
    }
  }
}

/**
 * update_engine's status as annotations, written only when CurrentOperation changes (never for progress):
 * the status first from GetStatus, then from each StatusUpdate signal, one write at a time, each retried every
 * poll interval until it succeeds.
 */
function watchUpdateStatus(cfg: AgentConfig, signal: AbortSignal): () => void {
  let lastOperation = '';
  let writes = Promise.resolve();
  const deliver = (status: UpdateEngineSignal) => {
    writes = writes.then(async () => {
      if (signal.aborted || status.currentOperation === lastOperation) return;
      await writeStatus(cfg, status, signal);
      lastOperation = status.currentOperation;
    });
  };
  deliver(cfg.host.updateEngineStatus() ?? NO_STATUS);
  return cfg.host.onUpdateEngineSignal(deliver);
}

async function writeStatus(cfg: AgentConfig, status: UpdateEngineSignal, signal: AbortSignal): Promise<void> {
  const annotations: Record<string, string> = {
    [fluoKey.status]: status.currentOperation,
    [fluoKey.lastCheckedTime]: String(status.lastCheckedTime),
    [fluoKey.newVersion]: status.newVersion,
  };
  const labels: Record<string, string> = {};
  if (status.currentOperation === NEED_REBOOT) {
    annotations[fluoKey.rebootNeeded] = TRUE;
    labels[fluoKey.rebootNeeded] = TRUE;
  }
  while (!signal.aborted) {
    try {
      await cfg.nodes.setAnnotationsLabels(cfg.host.name, annotations, labels, signal);
      return;
    } catch (err) {
      if (signal.aborted) return;
      cfg.log(`fluo agent ${cfg.host.name}: Failed to set annotation "${fluoKey.status}": ${(err as Error).message}`);
      await sleep(cfg.pollMs, signal).catch(() => undefined);
    }
  }
}
