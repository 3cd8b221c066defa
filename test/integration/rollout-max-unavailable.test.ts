// K nodes at a time across failure domains on the simulator (six nodes in three zones): two flatdeck instances
// (two data dirs, two holders) roll out at once with --max-unavailable 2; together they never have more than two
// nodes out of service, never two of one zone, and every node ends on the new release.
import assert from 'node:assert/strict';
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, it } from 'node:test';
import type { NodeSample } from '../support/invariants.ts';
import { waitFor } from '../support/wait-for.ts';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck, publishNewReleases, type CliRun } from './pipeline-cli.ts';

const ZONE = 'topology.kubernetes.io/zone';

/** The most nodes cordoned at one instant in the recorded Node timeline. */
function mostCordonedAtOnce(timeline: readonly NodeSample[], since: number): number {
  const cordoned = new Set<string>();
  let most = 0;
  for (const s of timeline) {
    if (s.atMs < since) continue;
    if (s.unschedulable === true) cordoned.add(s.node);
    else cordoned.delete(s.node);
    most = Math.max(most, cordoned.size);
  }
  return most;
}

/** Whether nodes `a` and `b` were cordoned at one instant in the recorded Node timeline. */
function cordonedTogether(timeline: readonly NodeSample[], since: number, a: string, b: string): boolean {
  const cordoned = new Set<string>();
  for (const s of timeline) {
    if (s.atMs < since) continue;
    if (s.unschedulable === true) cordoned.add(s.node);
    else cordoned.delete(s.node);
    if (cordoned.has(a) && cordoned.has(b)) return true;
  }
  return false;
}

async function succeeded(run: CliRun): Promise<void> {
  const { code } = await finished(run);
  assert.equal(code, 0, `${run.lines.slice(-15).join('\n')}\n${run.stderr()}`);
}

describe('--max-unavailable K over failure domains (simulator, 6 nodes in 3 zones)', () => {
  const w = guardedWorld({ nodes: 6, zones: 3 });

  async function zones(): Promise<Record<string, string>> {
    const nodes = await w.kc.makeApiClient(CoreV1Api).listNode();
    return Object.fromEntries(nodes.items.flatMap((n) => (n.metadata?.labels?.[ZONE] ? [[n.metadata.name ?? '', n.metadata.labels[ZONE]]] : [])));
  }

  /** `flatdeck rollout` from a data dir of its own (another instance); without `k`, the default. */
  function rollout(nodes: string[], k?: number, extra: string[] = [], dataDir = cliDataDir(w, { prefix: 'instance-' })): CliRun {
    const limit = k === undefined ? [] : ['--max-unavailable', String(k)];
    return flatdeck(w.sim, dataDir, ['rollout', '--nodes', nodes.join(','), ...limit, ...extra, '--json', ...fastFlags]);
  }

  async function cordoned(names: readonly string[]): Promise<boolean> {
    const nodes = (await w.kc.makeApiClient(CoreV1Api).listNode()).items;
    return names.every((name) => nodes.find((n) => n.metadata?.name === name)?.spec?.unschedulable === true);
  }

  function assertUpdated(nodes: readonly string[], target: Record<string, string>): void {
    for (const m of w.sim.machines.filter((x) => nodes.includes(x.name))) assert.equal(m.osRelease().versionId, target[m.channel()], `${m.name} is on the new release`);
  }

  it('the simulator labels each Node with its zone, round-robin', async () => {
    assert.deepEqual(await zones(), { 'worker-1': 'zone-a', 'worker-2': 'zone-b', 'worker-3': 'zone-c', 'worker-4': 'zone-a', 'worker-5': 'zone-b', 'worker-6': 'zone-c' });
  });

  it('two instances with K=2 update all six nodes, two at a time in all, never two of one zone', async () => {
    const target = publishNewReleases(w.sim);
    const since = Date.now();
    const a = rollout(['worker-1', 'worker-2', 'worker-3'], 2);
    const b = rollout(['worker-5', 'worker-4', 'worker-6'], 2);
    await Promise.all([succeeded(a), succeeded(b)]);

    assertUpdated(['worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5', 'worker-6'], target);
    await w.assertSafe({ maxUnavailable: 2, failureDomains: await zones() });
    assert.equal(mostCordonedAtOnce(w.recorder.timeline, since), 2, 'K=2 was used: two nodes were out of service together');
  });

  it('a run whose next node shares a zone with the one out of service waits for it, saying so', async () => {
    const target = publishNewReleases(w.sim);
    const since = Date.now();
    const run = rollout(['worker-1', 'worker-4'], 2);
    await succeeded(run);
    assertUpdated(['worker-1', 'worker-4'], target);
    await w.assertSafe({ maxUnavailable: 2, failureDomains: await zones() });
    assert.ok(run.lines.some((l) => /in the same failure domain \(topology\.kubernetes\.io\/zone=zone-a\)/.test(l)), 'the wait names the shared zone');
    assert.equal(mostCordonedAtOnce(w.recorder.timeline, since), 1);
  });

  it('a turn passes over a node whose zone the other turn has out of service and takes the next of a free zone', async () => {
    const target = publishNewReleases(w.sim);
    const since = Date.now();
    const run = rollout(['worker-1', 'worker-4', 'worker-2'], 2);
    await succeeded(run);
    assertUpdated(['worker-1', 'worker-4', 'worker-2'], target);
    await w.assertSafe({ maxUnavailable: 2, failureDomains: await zones() });
    assert.ok(cordonedTogether(w.recorder.timeline, since, 'worker-1', 'worker-2'), 'worker-2 (zone-b) went beside worker-1 instead of after worker-4 (zone-a)');
    assert.equal(cordonedTogether(w.recorder.timeline, since, 'worker-1', 'worker-4'), false, 'never two of zone-a');
  });

  it('--canary: the first node is back and uncordoned before any other is cordoned; then K=3 go together', async () => {
    const target = publishNewReleases(w.sim);
    const since = Date.now();
    await succeeded(rollout(['worker-3', 'worker-1', 'worker-2'], 3, ['--canary']));
    assertUpdated(['worker-1', 'worker-2', 'worker-3'], target);
    await w.assertSafe({ maxUnavailable: 3, failureDomains: await zones() });
    const samples = w.recorder.timeline.filter((x) => x.atMs >= since);
    const canaryBack = samples.findLast((x) => x.node === 'worker-3' && x.unschedulable === false)?.atMs ?? Infinity;
    const othersCordoned = samples.find((x) => x.node !== 'worker-3' && x.unschedulable === true)?.atMs ?? -Infinity;
    assert.ok(canaryBack < othersCordoned, 'the canary was done before the rest started');
    assert.equal(mostCordonedAtOnce(w.recorder.timeline, othersCordoned), 2, 'the other two together');
  });

  it('kill -9 of a K=2 instance with two nodes out: another instance adds none to them and says how to resume; resume finishes both', async () => {
    const target = publishNewReleases(w.sim);
    const dataDir = cliDataDir(w, { prefix: 'killed-' });
    const killed = rollout(['worker-1', 'worker-2'], 2, [], dataDir);
    await waitFor('worker-1 and worker-2 both out of service', () => cordoned(['worker-1', 'worker-2']), { timeoutMs: 120_000 });
    killed.child.kill('SIGKILL');
    await killed.exit;

    const other = rollout(['worker-3'], 2);
    const { code } = await finished(other);
    assert.notEqual(code, 0);
    assert.match(other.lines.join('\n') + other.stderr(), /which no longer holds the cluster update lock: continue it with `flatdeck resume /);
    assert.equal(await cordoned(['worker-3']), false, 'worker-3 was never taken out of service');

    const runId = killed.lines.map((l) => /"runId":"([^"]+)"/.exec(l)?.[1]).find(Boolean);
    assert.ok(runId, 'the killed run printed its id');
    const resume = flatdeck(w.sim, dataDir, ['resume', runId, '--json', ...fastFlags]);
    assert.equal((await finished(resume)).code, 0, `${resume.lines.slice(-10).join('\n')}\n${resume.stderr()}`);
    assertUpdated(['worker-1', 'worker-2'], target);
    await succeeded(rollout(['worker-3'], 2));
    assertUpdated(['worker-3'], target);
    await w.assertSafe({ maxUnavailable: 2, failureDomains: await zones() });
  });

  it('K=1 (the default) keeps one node out of service at a time across both instances', async () => {
    const target = publishNewReleases(w.sim);
    const since = Date.now();
    await Promise.all([succeeded(rollout(['worker-2', 'worker-3'])), succeeded(rollout(['worker-5', 'worker-6']))]);
    assertUpdated(['worker-2', 'worker-3', 'worker-5', 'worker-6'], target);
    await w.assertSafe({ maxUnavailable: 1 });
    assert.equal(mostCordonedAtOnce(w.recorder.timeline, since), 1);
  });
});
