import type { NodeApi } from '../cluster/node-api.ts';
import type { DrainApi } from '../cluster/drain.ts';
import type { LeaseStore } from '../cluster/lease-lock.ts';
import type { CommandEvent, HealthGate, RolloutState, StepEvent } from '../api/pipeline.ts';
import type { UeStatus } from '../flatcar/node.ts';

export type { UeStatus };

export interface UnitState {
  /** systemctl is-enabled word: enabled, disabled, masked, static, … */
  file: string;
  active: boolean;
}

/**
 * The part of the Flatcar node adapter (app/flatcar/node.ts) the pipeline drives. Failures are thrown as ApiError
 * with the kind and the facts (node, command, exit code); the adapter emits a CommandEvent for every command.
 */
export interface FlatcarNode {
  sudoCheck(): Promise<void>;
  versionId(): Promise<string>;
  bootId(): Promise<string>;
  unitState(unit: 'update-engine.service' | 'locksmithd.service'): Promise<UnitState>;
  setUnit(unit: 'update-engine.service', action: 'unmask' | 'mask' | 'start' | 'stop'): Promise<void>;
  status(): Promise<UeStatus>;
  checkForUpdate(): Promise<void>;
  /** Streams `-watch_for_updates` until aborted or the stream ends; never rejects on a stream that just ends. */
  watch(onStatus: (s: UeStatus) => void, signal: AbortSignal): Promise<void>;
  /** `sudo systemctl reboot`; the connection dropping under it is the expected outcome. */
  reboot(): Promise<void>;
  /** Forget the pooled connection (the next command connects anew). */
  reconnect(): void;
  runHealthCheck(script: string, timeoutMs: number): Promise<{ exitCode: number | null; output: string }>;
}

/** Runs a health-gate Job from the operator's template and reports whether it succeeded. */
export interface JobRunner {
  run(gate: Extract<HealthGate, { kind: 'job' }>, node: string, signal: AbortSignal): Promise<{ ok: boolean; message: string }>;
}

export interface ClusterPort {
  nodes: NodeApi;
  drain: DrainApi;
  leaseStore: LeaseStore;
  jobs: JobRunner | null;
}

export interface Clock {
  nowMs(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  nowMs: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export type PipelineEvent = { topic: 'step'; payload: StepEvent } | { topic: 'command'; payload: CommandEvent } | { topic: 'rollout'; payload: RolloutState };
export type EventSink = (e: PipelineEvent) => void;
