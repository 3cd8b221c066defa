import type { NodeLiveState, NodeSummary, RolloutState, StepEvent, UpdateOp } from '../../app/api/index.ts';

/** Small builders for renderer model tests (not a test file itself). */
export function node(name: string, over: Partial<NodeSummary> = {}): NodeSummary {
  return {
    name,
    roles: ['worker'],
    addresses: { internalIP: '127.10.0.1', externalIP: null, hostname: name },
    osImage: 'Flatcar Container Linux by Kinvolk 4081.2.0 (Oklo)',
    distribution: 'flatcar',
    flatcarVersion: '4081.2.0',
    channel: 'stable',
    kernelVersion: '6.6.54-flatcar',
    kubeletVersion: 'v1.33.4',
    ready: 'True',
    lastHeartbeat: null,
    unschedulable: false,
    taints: [],
    bootID: 'boot-1',
    fluo: null,
    flatdeck: null,
    stagedVersion: null,
    machineDeployment: null,
    createdAt: null,
    ...over,
  };
}

export function live(name: string, op: UpdateOp, at: string, progress = 0, newSize = 0): NodeLiveState {
  return {
    node: name,
    at,
    updateEngine: { lastCheckedTime: 0, progress, currentOp: op, newVersion: newSize ? '4152.2.1' : '0.0.0', newSize },
    updateEngineUnit: 'enabled',
    versionId: '4081.2.0',
    error: null,
  };
}

export function step(name: string, s: StepEvent['step'], status: StepEvent['status'], at: string, over: Partial<StepEvent> = {}): StepEvent {
  return { runId: 'run-1', cluster: 'demo', node: name, step: s, status, at, message: `${s} ${status}`, code: null, params: {}, detail: {}, durationMs: null, error: null, ...over };
}

export function rollout(status: RolloutState['status'], nodes: Array<[string, RolloutState['nodes'][number]['phase']]>, runId = 'run-1'): RolloutState {
  return {
    runId,
    cluster: 'demo',
    kind: 'rollout',
    status,
    startedAt: '2026-11-26T10:00:00.000Z',
    finishedAt: null,
    etaSeconds: 60,
    error: null,
    waitingFor: null,
    waiting: null,
    nodes: nodes.map(([n, phase]) => ({
      node: n,
      phase,
      step: phase === 'active' ? 'drain' : null,
      fromVersion: '4081.2.0',
      toVersion: '4152.2.1',
      downloadProgress: null,
      startedAt: null,
      finishedAt: null,
      etaSeconds: null,
      error: null,
      attention: [],
      notes: [],
    })),
  };
}
