import type {
  CommandEvent,
  NodeLiveState,
  NodeSummary,
  NodesEvent,
  RolloutNodeState,
  RolloutState,
  StepEvent,
  UpdateOp,
} from '../../../../app/api/index.ts';
import { UpdateOp as UpdateOpSchema, updateStateOfOp, type UpdateStateKey } from '../../../../app/api/index.ts';
import type { ProgressSample } from './download.ts';

export { updateStateKeys, type UpdateStateKey } from '../../../../app/api/index.ts';

export type AttentionReason = 'staged' | 'not-ready' | 'cordoned' | 'live-error' | 'update-error' | 'reboot-pending' | 'run-failed' | 'left-behind';

export interface NodeRow {
  name: string;
  summary: NodeSummary;
  live: NodeLiveState | null;
  /** This node's entry in the most recent run that included it. */
  run: RolloutNodeState | null;
  runId: string | null;
  runStatus: RolloutState['status'] | null;
  lastStep: StepEvent | null;
  /** The node's boot ID when `live` was read: a reading from before a reboot no longer describes the node. */
  liveBootId?: string | null;
}

/** The live reading, unless the node has rebooted since it was taken (then update_engine is a new process). */
export function currentLive(row: NodeRow): NodeLiveState | null {
  if (!row.live) return null;
  if (row.liveBootId && row.liveBootId !== row.summary.bootID) return null;
  return row.live;
}

export interface NodeHistory {
  runId: string | null;
  /** update_engine operations in the order they were first seen in this run. */
  ops: Array<{ op: UpdateOp; at: string }>;
  samples: ProgressSample[];
  steps: StepEvent[];
  commands: CommandEvent[];
}

const maxCommandLines = 2000;
const maxSamples = 400;
const activeRunStatuses = new Set<RolloutState['status']>(['pending', 'running', 'paused', 'waiting-for-window', 'waiting-for-lock', 'cancelling']);

export function isRunActive(status: RolloutState['status'] | null): boolean {
  return status !== null && activeRunStatuses.has(status);
}

const pipelineOnlySteps = new Set(['lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon']);

/** One word for where a node's OS update stands: update_engine's state, unless the pipeline holds the node. */
export function updateState(row: NodeRow): UpdateStateKey {
  if (row.summary.distribution === 'other') return 'not-flatcar';
  if (row.run?.phase === 'failed' || row.run?.phase === 'needs-attention') return 'error';
  if (isRunActive(row.runStatus) && row.run?.step && pipelineOnlySteps.has(row.run.step)) return 'in-pipeline';
  const live = currentLive(row);
  if (row.summary.distribution === 'ubuntu') return ubuntuState(live);
  const op = live?.updateEngine?.currentOp;
  if (op) return updateStateOfOp[op];
  if (live?.error) return 'unreachable';
  // Masked or stopped update-engine (the seed's nodes): flatdeck starts it only for an update.
  if (live && !live.error && live.updateEngineUnit && live.updateEngineUnit !== 'enabled') return 'engine-off';
  return 'unknown';
}

/** An Ubuntu node has no update_engine: its packages are installed, and it asks for a reboot or not. */
function ubuntuState(live: NodeLiveState | null): UpdateStateKey {
  if (live?.error) return 'unreachable';
  if (!live?.rebootRequired) return 'unknown';
  return live.rebootRequired.required ? 'need-reboot' : 'idle';
}

/** The channel update_engine asks for (GROUP, read over SSH), else the running release's channel. */
export function channelOf(row: NodeRow): string | null {
  return currentLive(row)?.group ?? row.summary.channel;
}

export function attentionReasons(row: NodeRow): AttentionReason[] {
  const reasons: AttentionReason[] = [];
  const active = isRunActive(row.runStatus);
  // first: whoever reboots the node next (planned or not) boots the staged version, without a drain
  if (row.summary.stagedVersion && !active) reasons.push('staged');
  if (row.summary.ready !== 'True' && !active) reasons.push('not-ready');
  if (row.summary.unschedulable && !active) reasons.push('cordoned');
  const live = currentLive(row);
  if (live?.error) reasons.push('live-error');
  if (live?.updateEngine?.currentOp === 'UPDATE_STATUS_REPORTING_ERROR_EVENT') reasons.push('update-error');
  const rebootPending = live?.updateEngine?.currentOp === 'UPDATE_STATUS_UPDATED_NEED_REBOOT' || live?.rebootRequired?.required === true;
  if (rebootPending && !active) reasons.push('reboot-pending');
  if (row.run?.phase === 'failed' || row.run?.phase === 'needs-attention') reasons.push('run-failed');
  if (row.summary.flatdeck && !active) reasons.push('left-behind');
  return reasons;
}

function emptyHistory(runId: string | null): NodeHistory {
  return { runId, ops: [], samples: [], steps: [], commands: [] };
}

/** Everything the renderer knows about one cluster's nodes, folded from the core's pushed events. */
export class FleetModel {
  readonly cluster: string;
  readonly rows = new Map<string, NodeRow>();
  readonly histories = new Map<string, NodeHistory>();
  readonly rollouts = new Map<string, RolloutState>();

  constructor(cluster: string) {
    this.cluster = cluster;
  }

  history(node: string): NodeHistory {
    let h = this.histories.get(node);
    if (!h) {
      h = emptyHistory(null);
      this.histories.set(node, h);
    }
    return h;
  }

  /** Returns whether the event concerned this cluster (and so changed the model). */
  applyNodes(ev: NodesEvent): boolean {
    if (ev.cluster !== this.cluster) return false;
    switch (ev.type) {
      case 'snapshot': {
        const names = new Set(ev.nodes.map((n) => n.name));
        for (const name of [...this.rows.keys()]) if (!names.has(name)) this.rows.delete(name);
        for (const node of ev.nodes) this.#upsert(node);
        return true;
      }
      case 'upsert':
        this.#upsert(ev.node);
        return true;
      case 'delete':
        return this.rows.delete(ev.name);
      case 'live':
        this.applyLive(ev.state);
        return true;
    }
  }

  applyLive(state: NodeLiveState): void {
    this.#patch(state.node, { live: state, liveBootId: this.rows.get(state.node)?.summary.bootID ?? null });
    const ue = state.updateEngine;
    if (!ue) return;
    this.#recordOp(state.node, ue.currentOp, state.at, ue.progress, ue.newSize);
  }

  /** One update_engine reading, from a live read or the update step's progress events. */
  #recordOp(node: string, op: UpdateOp, at: string, progress: number, newSize: number): void {
    const h = this.history(node);
    const rebooted = h.steps.some((s) => s.step === 'reboot');
    if (!rebooted && h.ops.at(-1)?.op !== op) h.ops.push({ op, at });
    if (op === 'UPDATE_STATUS_DOWNLOADING' || op === 'UPDATE_STATUS_FINALIZING') {
      // FINALIZING comes after the whole payload is written (update_engine resets PROGRESS for it): the
      // download is complete, whatever PROGRESS says.
      h.samples.push({ atMs: Date.parse(at), progress: op === 'UPDATE_STATUS_FINALIZING' ? 1 : progress, newSize });
      if (h.samples.length > maxSamples) h.samples.splice(0, h.samples.length - maxSamples);
    }
  }

  applyStep(ev: StepEvent): boolean {
    if (ev.cluster !== this.cluster) return false;
    let h = this.history(ev.node);
    if (h.runId !== ev.runId) {
      const lastOp = h.ops.at(-1);
      const fresh = emptyHistory(ev.runId);
      fresh.commands = h.commands;
      if (lastOp) fresh.ops.push(lastOp);
      this.histories.set(ev.node, fresh);
      h = fresh;
    }
    h.steps.push(ev);
    this.#patch(ev.node, { lastStep: ev });
    const op = ev.step === 'update' ? UpdateOpSchema.safeParse(ev.detail.op) : null;
    if (op?.success) this.#applyUpdateProgress(ev, op.data);
    return true;
  }

  /** The update step reports update_engine's state as it follows it; fold it into the live state too. */
  #applyUpdateProgress(ev: StepEvent, op: UpdateOp): void {
    const row = this.rows.get(ev.node);
    const before = row?.live?.updateEngine;
    const progress = typeof ev.detail.progress === 'number' ? ev.detail.progress : 0;
    const newVersion = typeof ev.detail.newVersion === 'string' ? ev.detail.newVersion : (before?.newVersion ?? '0.0.0');
    const newSize = typeof ev.detail.newSize === 'number' ? ev.detail.newSize : (before?.newSize ?? 0);
    if (row) {
      this.#patch(ev.node, {
        live: {
          node: ev.node,
          at: ev.at,
          updateEngine: { lastCheckedTime: before?.lastCheckedTime ?? 0, progress, currentOp: op, newVersion, newSize },
          updateEngineUnit: row.live?.updateEngineUnit ?? null,
          versionId: row.live?.versionId ?? null,
          error: null,
        },
        liveBootId: row.summary.bootID,
      });
    }
    this.#recordOp(ev.node, op, ev.at, progress, newSize);
  }

  applyCommand(ev: CommandEvent): boolean {
    if (ev.cluster !== this.cluster) return false;
    const h = this.history(ev.node);
    h.commands.push(ev);
    if (h.commands.length > maxCommandLines) h.commands.splice(0, h.commands.length - maxCommandLines);
    return true;
  }

  applyRollout(state: RolloutState): boolean {
    if (state.cluster !== this.cluster) return false;
    this.rollouts.set(state.runId, state);
    for (const n of state.nodes) {
      const row = this.rows.get(n.node);
      if (!row) continue;
      // A finished run must not mask a newer active one for the same node.
      if (row.runId && row.runId !== state.runId && isRunActive(row.runStatus) && !isRunActive(state.status)) continue;
      this.#patch(n.node, { run: n, runId: state.runId, runStatus: state.status });
    }
    return true;
  }

  /** Rows are replaced, never mutated, so keyed lists and derived views see every change. */
  #patch(name: string, change: Partial<NodeRow>): void {
    const row = this.rows.get(name);
    if (row) this.rows.set(name, { ...row, ...change });
  }

  #upsert(node: NodeSummary): void {
    const row = this.rows.get(node.name);
    if (row) this.#patch(node.name, { summary: node });
    else this.rows.set(node.name, { name: node.name, summary: node, live: null, run: null, runId: null, runStatus: null, lastStep: null });
  }
}
