import type { UnfinishedRun } from '../api/pipeline.ts';
import { uncordonIfOurs } from '../cluster/cordon.ts';
import { LeaseLock } from '../cluster/lease-lock.ts';
import { clearMarkPatch, markPatch, readMark, restoreFluoPausePatch, type NodeMark } from '../cluster/node-annotations.ts';
import { unfinishedNodes, type NodeRecord } from './journal.ts';
import { pollUntil } from '../support/retry.ts';
import type { PipelineDeps } from './run-context.ts';

const STEPS = new Set(['preflight', 'update', 'lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon', 'release', 'health-gate', 'settle']);

export function recordFromMark(node: string, m: NodeMark): NodeRecord {
  return {
    node,
    phase: 'active',
    step: STEPS.has(m.step) ? (m.step as NodeRecord['step']) : 'update',
    fromVersion: m.fromVersion,
    toVersion: m.toVersion,
    bootIdBefore: m.bootIdBefore,
    rebootIssuedAt: m.step === 'reboot' ? m.since : null,
    cordonedByUs: m.cordonedByUs,
    ueOriginal: m.ueOriginal,
    fluoPausedBefore: m.fluoPausedBefore,
    lsOriginal: m.lsOriginal,
    serverLifted: m.serverLifted,
  };
}

/** A journal record corrected by what the node says: the annotation is written in the same patch as the cordon. */
function merge(rec: NodeRecord, mark: NodeMark | null): NodeRecord {
  if (!mark || mark.run === '') return rec;
  return {
    ...rec,
    cordonedByUs: rec.cordonedByUs || mark.cordonedByUs,
    ueOriginal: rec.ueOriginal ?? mark.ueOriginal,
    lsOriginal: rec.lsOriginal ?? mark.lsOriginal,
    serverLifted: rec.serverLifted === true || mark.serverLifted,
    fluoPausedBefore: rec.fluoPausedBefore ?? mark.fluoPausedBefore,
    bootIdBefore: rec.bootIdBefore ?? mark.bootIdBefore,
    step: STEPS.has(mark.step) && ['reboot', 'verify'].includes(mark.step) ? (mark.step as NodeRecord['step']) : rec.step,
    rebootIssuedAt: rec.rebootIssuedAt ?? (mark.step === 'reboot' ? mark.since : null),
  };
}

export interface FoundRun {
  info: UnfinishedRun[];
  records: Map<string, NodeRecord>;
  holder: string;
}

/**
 * Unfinished runs, from our journal and from other instances' marks on the nodes. Another instance's run
 * counts as abandoned only if its holder no longer holds the Lease (or the Lease expired by the record).
 */
export async function findUnfinished(deps: PipelineDeps): Promise<Map<string, FoundRun>> {
  const nodes = await deps.cluster.nodes.listNodes();
  const marks = new Map<string, NodeMark>();
  for (const n of nodes) {
    const m = readMark(n);
    if (m) marks.set(n.metadata?.name ?? '', m);
  }
  const lease = await deps.cluster.leaseStore.read();
  const leaseHolder = lease?.spec?.holderIdentity ?? '';
  const renew = lease?.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : 0;
  const expiresInMs = (holder: string) => (holder !== '' && holder === leaseHolder ? renew + (lease?.spec?.leaseDurationSeconds ?? 15) * 1000 - deps.clock.nowMs() : 0);
  const leaseLive = (holder: string) => expiresInMs(holder) > 0;

  const runs = new Map<string, FoundRun>();
  const add = (runId: string, holder: string, ours: boolean, rec: NodeRecord, since: string) => {
    const r: FoundRun = runs.get(runId) ?? { info: [], records: new Map(), holder };
    r.records.set(rec.node, rec);
    r.info.push({ runId, cluster: deps.clusterId, instance: holder, ours, node: rec.node, step: rec.step ?? 'unknown', since, cordonedByUs: rec.cordonedByUs, leaseExpired: !leaseLive(holder), leaseExpiresInSeconds: leaseLive(holder) ? Math.ceil(expiresInMs(holder) / 1000) : null });
    runs.set(runId, r);
  };
  for (const runId of deps.journal.runIds()) {
    const entries = deps.journal.entries(runId);
    if (entries[0]?.cluster !== deps.clusterId) continue;
    const ended = entries.some((e) => e.type === 'run-end' && e.status === 'handed-back');
    if (ended) continue;
    const holder = entries[0]?.holder ?? '';
    for (const rec of unfinishedNodes(entries)) {
      const mark = marks.get(rec.node);
      add(runId, holder, true, merge(rec, mark?.run === runId ? mark : null), entries.at(-1)?.at ?? '');
    }
  }
  for (const [node, m] of marks) {
    if (runs.get(m.run)?.records.has(node)) continue;
    add(m.run, m.instance, false, recordFromMark(node, m), m.since);
  }
  return runs;
}

/**
 * Clean hand-back of an abandoned run: uncordon what it cordoned, put FLUO's reboot-paused back, clear the
 * marks, release the Lease if the run's holder still has it and it expired. update-engine is restored by the
 * caller over SSH (it needs the node reachable); everything here is API-side. An update still staged on the node
 * (`stagedVersion`) stays on record, so every instance keeps showing what its next boot starts.
 */
export async function handBackNode(deps: PipelineDeps, rec: NodeRecord, stagedVersion: string | null): Promise<void> {
  const annotations = {
    ...clearMarkPatch(),
    ...(stagedVersion !== null ? markPatch({ stagedVersion }) : {}),
    ...(rec.fluoPausedBefore !== null ? restoreFluoPausePatch(rec.fluoPausedBefore) : {}),
  };
  await uncordonIfOurs(deps.cluster.nodes, rec.node, rec.cordonedByUs, annotations);
}

export async function releaseAbandonedLease(deps: PipelineDeps, holder: string, leaseDurationSeconds: number): Promise<boolean> {
  const lock = new LeaseLock({ store: deps.cluster.leaseStore, namespace: deps.lock.namespace, name: deps.lock.name, identity: deps.holder, leaseDurationSeconds, nowMs: () => deps.clock.nowMs() });
  const outcome = await pollUntil(
    async () => {
      if (await lock.releaseExpired(holder)) return true;
      const current = (await deps.cluster.leaseStore.read())?.spec?.holderIdentity ?? '';
      return current === holder ? undefined : false;
    },
    { clock: deps.clock, intervalMs: 1000, deadlineMs: deps.clock.nowMs() + (leaseDurationSeconds + 5) * 1000 },
  );
  return !outcome.timedOut && outcome.value;
}
