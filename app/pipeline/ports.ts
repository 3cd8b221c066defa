import type { NodeApi } from '../cluster/node-api.ts';
import type { DrainApi } from '../cluster/drain.ts';
import type { LeaseStore } from '../cluster/lease-lock.ts';
import type { CommandEvent, HealthGate, RolloutState, StepEvent } from '../api/pipeline.ts';
import type { FlatcarNode as FlatcarNodeAdapter, UeStatus, UnitState } from '../flatcar/node.ts';

export type { UeStatus, UnitState };

/**
 * The part of the Flatcar node adapter (app/flatcar/node.ts) the pipeline drives: everything but the os-release
 * text only auto-update needs. Failures are ApiErrors with the node, command and exit code; every command shows
 * in the node's terminal.
 */
export type FlatcarNode = Omit<FlatcarNodeAdapter, 'name' | 'osRelease'>;

/** Runs a health-gate Job from the operator's template and reports whether it succeeded. */
export interface JobRunner {
  run(gate: Extract<HealthGate, { kind: 'job' }>, node: string, signal: AbortSignal): Promise<{ ok: boolean; message: string }>;
}

export interface ClusterPort {
  nodes: NodeApi;
  drain: DrainApi;
  leaseStore: LeaseStore;
  /** The slot Leases of a K-nodes-at-a-time lock, by name (absent: only one node at a time is possible). */
  slotStores?: (name: string) => LeaseStore;
  jobs: JobRunner | null;
}

/** The pipeline's clock is the shared one (app/support/clock.ts), so app/cluster waits on the same port. */
export { realClock, type Clock } from '../support/clock.ts';

export type PipelineEvent = { topic: 'step'; payload: StepEvent } | { topic: 'command'; payload: CommandEvent } | { topic: 'rollout'; payload: RolloutState };
export type EventSink = (e: PipelineEvent) => void;
