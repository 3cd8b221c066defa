import type { PipelineStep, StepEvent, UpdateOp } from '../../../../app/api/index.ts';
import type { NodeHistory } from './fleet.ts';

/** The stepper's stages: update_engine's own states, then what the pipeline does around the reboot. */
export const progressionKeys = [
  'UPDATE_STATUS_IDLE',
  'UPDATE_STATUS_CHECKING_FOR_UPDATE',
  'UPDATE_STATUS_UPDATE_AVAILABLE',
  'UPDATE_STATUS_DOWNLOADING',
  'UPDATE_STATUS_FINALIZING',
  'UPDATE_STATUS_UPDATED_NEED_REBOOT',
  'cordon',
  'drain',
  'reboot',
  'verify',
  'uncordon',
] as const;
export type ProgressionKey = (typeof progressionKeys)[number];

export type StageStatus = 'pending' | 'active' | 'done' | 'failed' | 'skipped';

export interface Stage {
  key: ProgressionKey;
  status: StageStatus;
  /** When the stage was first reached (ISO), if it was observed. */
  at: string | null;
  durationMs: number | null;
  /** Facts from the latest event of the stage (e.g. drain's pod counts, the version after reboot). */
  detail: Record<string, string | number | boolean | null>;
  /** Why the stage failed, in the core's English; `event` is where it comes from, for wording it in the UI language. */
  message: string | null;
  event: StepEvent | null;
}

const opIndex: Partial<Record<UpdateOp, number>> = {
  UPDATE_STATUS_IDLE: 0,
  UPDATE_STATUS_CHECKING_FOR_UPDATE: 1,
  UPDATE_STATUS_UPDATE_AVAILABLE: 2,
  UPDATE_STATUS_DOWNLOADING: 3,
  UPDATE_STATUS_VERIFYING: 4,
  UPDATE_STATUS_FINALIZING: 4,
  UPDATE_STATUS_UPDATED_NEED_REBOOT: 5,
};

const pipelineStages: readonly PipelineStep[] = ['cordon', 'drain', 'reboot', 'verify', 'uncordon'];

/** The drain reports one event per pod (evicting → evicted → gone, or blocked); count them into n of m. */
function podTally(events: readonly StepEvent[]): Stage['detail'] {
  const pods = new Map<string, string>();
  let blocker: string | null = null;
  for (const e of events) {
    const pod = e.detail.pod;
    const kind = e.detail.event;
    if (typeof pod !== 'string' || typeof kind !== 'string') continue;
    if (pods.get(pod) !== 'gone') pods.set(pod, kind);
    if (kind === 'blocked') blocker = typeof e.detail.pdb === 'string' && e.detail.pdb ? `${e.detail.pdb} (${pod})` : pod;
    else if (kind === 'gone' && blocker?.includes(pod)) blocker = null;
  }
  if (pods.size === 0) return {};
  const gone = [...pods.values()].filter((k) => k === 'gone').length;
  return { podsDone: gone, podsTotal: pods.size, blocker };
}

function stageFromSteps(key: PipelineStep, steps: readonly StepEvent[]): Stage {
  const mine = steps.filter((s) => s.step === key);
  const first = mine[0];
  const last = mine.at(-1);
  const stage: Stage = { key: key as ProgressionKey, status: 'pending', at: first?.at ?? null, durationMs: null, detail: {}, message: null, event: null };
  if (!last) return stage;
  stage.detail = Object.assign({}, ...mine.map((s) => s.detail)) as Stage['detail'];
  if (key === 'drain') Object.assign(stage.detail, podTally(mine));
  stage.message = last.error?.message ?? last.message;
  stage.event = last;
  switch (last.status) {
    case 'started':
    case 'progress':
      stage.status = 'active';
      break;
    case 'succeeded':
      stage.status = 'done';
      stage.durationMs = last.durationMs ?? (first ? Date.parse(last.at) - Date.parse(first.at) : null);
      break;
    case 'failed':
      stage.status = 'failed';
      break;
    case 'skipped':
      stage.status = 'skipped';
      break;
  }
  return stage;
}

/**
 * Where one node stands in IDLE → … → UPDATED_NEED_REBOOT → cordon → drain → reboot → verify → uncordon.
 * update_engine stages come from the observed operations (first-seen times), pipeline stages from step events.
 */
export function progression(history: Pick<NodeHistory, 'ops' | 'steps'>, currentOp: UpdateOp | null): Stage[] {
  const { ops, steps } = history;
  const pipeline = pipelineStages.map((k) => stageFromSteps(k, steps));
  const pipelineStarted = pipeline.some((s) => s.status !== 'pending');
  const updateStep = steps.filter((s) => s.step === 'update').at(-1);
  const lastOp = ops.at(-1)?.op ?? null;
  const reached = opIndex[currentOp ?? lastOp ?? 'UPDATE_STATUS_REPORTING_ERROR_EVENT'] ?? Math.max(-1, ...ops.map((o) => opIndex[o.op] ?? -1));
  const engineFailed = currentOp === 'UPDATE_STATUS_REPORTING_ERROR_EVENT' || updateStep?.status === 'failed';
  // A rollback (cgpt prioritize) or an Ubuntu reboot runs no update_engine: its stages did not happen.
  const withoutEngine = steps.some((s) => s.step === 'update' && /^(rollback|reboot)\./.test(s.code ?? ''));

  const engine: Stage[] = progressionKeys.slice(0, 6).map((key, i) => {
    const seen = ops.findLast((o) => opIndex[o.op] === i);
    let status: StageStatus = 'pending';
    if (withoutEngine) status = 'skipped';
    else if (pipelineStarted || i < reached) status = 'done';
    else if (i === reached) status = engineFailed ? 'failed' : 'active';
    const failed = status === 'failed' ? (updateStep ?? null) : null;
    return { key, status, at: seen?.at ?? null, durationMs: null, detail: {}, message: failed ? (failed.error?.message ?? failed.message) : null, event: failed };
  });
  // After the first reboot update_engine restarts at IDLE; the stepper keeps what it saw before.
  if (engineFailed && !engine.some((s) => s.status === 'failed')) {
    const failedAt = engine.findLast((s) => s.at !== null) ?? engine[0];
    if (failedAt) {
      failedAt.status = 'failed';
      failedAt.message = updateStep?.error?.message ?? updateStep?.message ?? null;
      failedAt.event = updateStep ?? null;
    }
  }

  // `systemctl reboot` returns at once; the node is down until the verify step sees it back. The Reboot stage
  // shows that whole time, not the instant the command took.
  const reboot = pipeline.find((s) => s.key === 'reboot');
  const back = steps.findLast((s) => s.step === 'verify' && s.status === 'succeeded');
  if (reboot?.status === 'done' && reboot.at && back) reboot.durationMs = Math.max(0, Date.parse(back.at) - Date.parse(reboot.at));

  const stages = [...engine, ...pipeline];
  stages.forEach((stage, i) => {
    const next = stages.slice(i + 1).find((s) => s.at !== null);
    if (stage.durationMs === null && stage.status === 'done' && stage.at && next?.at) {
      stage.durationMs = Math.max(0, Date.parse(next.at) - Date.parse(stage.at));
    }
  });
  return stages;
}
