// Records every change of the Nodes' schedulability and annotations while a test runs (one list, then a watch
// resumed from the last resourceVersion, re-listed after 410 Gone or an API outage), and checks the safety
// invariants of ./invariants.ts against it and the simulator's events.jsonl.
import assert from 'node:assert/strict';
import { CoreV1Api, Watch, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { describeViolations, findViolations, type InvariantInput, type NodeSample, type Violation } from './invariants.ts';

const RETRY_MS = 200;

export interface NodeRecorder {
  readonly timeline: readonly NodeSample[];
  /** Lists the Nodes once more so the timeline ends with their current state. */
  catchUp(): Promise<void>;
  stop(): void;
}

const sampleOf = (n: V1Node, atMs: number): NodeSample => ({
  atMs,
  node: n.metadata?.name ?? '',
  unschedulable: n.spec?.unschedulable === true,
  annotations: { ...(n.metadata?.annotations ?? {}) },
});

const sameState = (a: NodeSample | undefined, b: NodeSample) =>
  a !== undefined && a.unschedulable === b.unschedulable && JSON.stringify(a.annotations) === JSON.stringify(b.annotations);

export async function recordNodes(kc: KubeConfig): Promise<NodeRecorder> {
  const core = kc.makeApiClient(CoreV1Api);
  const timeline: NodeSample[] = [];
  const latest = new Map<string, NodeSample>();
  let stopped = false;
  let abort: AbortController | null = null;
  let retry: NodeJS.Timeout | null = null;

  const note = (s: NodeSample) => {
    if (sameState(latest.get(s.node), s)) return;
    latest.set(s.node, s);
    timeline.push(s);
  };
  const list = async (): Promise<string> => {
    const nodes = await core.listNode();
    const now = Date.now();
    const seen = new Set<string>();
    for (const n of nodes.items) {
      seen.add(n.metadata?.name ?? '');
      note(sampleOf(n, now));
    }
    for (const name of latest.keys()) if (!seen.has(name)) note({ atMs: now, node: name, unschedulable: null, annotations: {} });
    return nodes.metadata?.resourceVersion ?? '';
  };
  const later = (fn: () => void) => {
    if (!stopped) retry = setTimeout(fn, RETRY_MS);
  };
  const watchFrom = async (resourceVersion: string): Promise<void> => {
    let rv = resourceVersion;
    let gone = false;
    abort = await new Watch(kc).watch(
      '/api/v1/nodes',
      { resourceVersion: rv, allowWatchBookmarks: true },
      (type: string, obj: V1Node & { code?: number }) => {
        if (type === 'ERROR') {
          gone = obj.code === 410;
          return;
        }
        rv = obj.metadata?.resourceVersion ?? rv;
        if (type === 'BOOKMARK') return;
        const s = sampleOf(obj, Date.now());
        note(type === 'DELETED' ? { ...s, unschedulable: null, annotations: {} } : s);
      },
      () => later(() => void (gone ? relistAndWatch() : watchFrom(rv))),
    );
  };
  const relistAndWatch = async (): Promise<void> => {
    try {
      await watchFrom(await list());
    } catch {
      later(() => void relistAndWatch());
    }
  };

  await watchFrom(await list());
  return {
    timeline,
    catchUp: async () => void (await list()),
    stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      abort?.abort();
    },
  };
}

export interface InvariantCheck extends Omit<InvariantInput, 'events' | 'timeline' | 'endMs'> {
  eventsPath: string;
  recorder: NodeRecorder;
}

/** The violations so far (after bringing the Node timeline up to date). */
export async function fleetViolations(check: InvariantCheck): Promise<Violation[]> {
  await check.recorder.catchUp();
  const { eventsPath, recorder, ...rest } = check;
  return findViolations({ ...rest, events: readEvents(eventsPath), timeline: recorder.timeline, endMs: Date.now() });
}

/** Fails the test with every broken invariant, each with the nodes and instants involved. */
export async function assertFleetInvariants(check: InvariantCheck): Promise<void> {
  const violations = await fleetViolations(check);
  assert.equal(violations.length, 0, `safety invariants broken:\n${describeViolations(violations)}`);
}

export interface FleetGuard {
  /** The Nodes as recorded since the guard started, for a test's own questions about them. */
  readonly recorder: NodeRecorder;
  /** Fails on every invariant broken since the previous call (or since the guard started). */
  assertSafe(opts?: Omit<InvariantInput, 'events' | 'timeline' | 'endMs' | 'sinceMs'>): Promise<void>;
  stop(): void;
}

/** Records the Nodes from now on; each `assertSafe` checks the window since the one before. */
export async function guardFleet(kc: KubeConfig, eventsPath: string): Promise<FleetGuard> {
  const recorder = await recordNodes(kc);
  let sinceMs = Date.now();
  return {
    recorder,
    async assertSafe(opts = {}) {
      const from = sinceMs;
      sinceMs = Date.now();
      await assertFleetInvariants({ ...opts, eventsPath, recorder, sinceMs: from });
    },
    stop: () => recorder.stop(),
  };
}
