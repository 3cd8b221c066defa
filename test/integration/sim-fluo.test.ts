// FLUO running in the simulator (sim/fluo): deploy/fluo/fluo.yaml applied to the simulated API server starts its
// agent on every node and its operator; updates that update_engine stages are then rebooted by FLUO itself, one
// node at a time, with exactly FLUO's annotations and labels. Proven from events.jsonl and the Node objects.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import type { SimEvent } from '../../sim/fleet/events.ts';
import { readEvents } from '../../sim/fleet/reboot-intervals.ts';
import { ContentType, KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { waitFor } from '../support/wait-for.ts';
import { ssh } from './sim-ssh-client.ts';

const P = 'flatcar-linux-update.v1.flatcar-linux.net/';
const WORKERS = ['worker-1', 'worker-2', 'worker-3'];
const LOCK = '/apis/coordination.k8s.io/v1/namespaces/reboot-coordinator/leases/flatcar-linux-update-operator-lock';
const dir = mkdtempSync(join(tmpdir(), 'flatdeck-sim-fluo-'));
let sim: SimCluster;
let api: KubeRestClient;

interface Node {
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { unschedulable?: boolean };
}

const node = (name: string) => api.get<Node>(`/api/v1/nodes/${name}`);
const events = (): SimEvent[] => readEvents(sim.eventsPath);
const fluoWrites = (name: string) => events().filter((e) => e.node === name && e.kind === 'fluo');
/** One Node update by FLUO as `by: field key=value, …` (sorted: one write is atomic), or a fleet event as `kind to`. */
function describeStory(list: readonly SimEvent[]): string[] {
  const out: string[] = [];
  let lastWrite: unknown = null;
  for (const e of list) {
    if (e.kind !== 'fluo') {
      out.push(`${e.kind} ${String(e.to)}`);
      lastWrite = null;
      continue;
    }
    const change = `${String(e.field)} ${String(e.key)}=${String(e.to)}`;
    if (e.write === lastWrite) {
      const [by, changes] = (out.pop() as string).split(': ');
      out.push(`${by}: ${[...(changes as string).split(', '), change].sort().join(', ')}`);
    } else out.push(`${String(e.by)}: ${change}`);
    lastWrite = e.write;
  }
  return out;
}

async function run(host: string, command: string): Promise<void> {
  const r = await ssh(sim.sshConfigPath, host, command);
  assert.equal(r.code, 0, `${host}: ${command}: ${r.stderr}`);
}

/** Intervals [cordon, uncordon) of the update-agent, per node, from events.jsonl. */
function agentCordons(all: readonly SimEvent[]): Array<{ node: string; start: number; end: number }> {
  const open = new Map<string, number>();
  const out: Array<{ node: string; start: number; end: number }> = [];
  for (const e of all) {
    if (e.kind !== 'fluo' || e.key !== 'unschedulable' || e.by !== 'update-agent') continue;
    if (e.to === 'true') open.set(e.node, Date.parse(e.ts));
    else if (open.has(e.node)) {
      out.push({ node: e.node, start: open.get(e.node) as number, end: Date.parse(e.ts) });
      open.delete(e.node);
    }
  }
  for (const [n, start] of open) out.push({ node: n, start, end: Infinity });
  return out;
}

before(async () => {
  sim = await startSimCluster({
    nodes: 3, stateDir: join(dir, 'sim'), sshPort: 0, addressBase: loopbackBlock().base, timeScale: 0.02,
    scheduledUpdateChecks: false, workload: true, fluo: 'installed',
  });
  api = await KubeRestClient.fromKubeconfigFile(sim.kubeconfigPath);
  await waitFor('an update-agent on every node', () => WORKERS.every((w) => events().some((e) => e.node === w && e.kind === 'fluo-role' && e.role === 'update-agent' && e.to === 'running')));
  // FLUO never drains a node with a pod no controller owns (kubectl drain without --force): see the last case.
  await api.call('DELETE', '/api/v1/namespaces/shop/pods/debug-shell');
});

after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('FLUO in the simulator', () => {
  it('the agent labels each node with its OS and resets reboot-needed to "false" when it starts', async () => {
    for (const w of WORKERS) {
      const n = await waitFor(`${w} labelled by the agent`, async () => {
        const current = await node(w);
        return current.metadata.annotations[`${P}reboot-needed`] === 'false' ? current : undefined;
      });
      const version = sim.machines.find((m) => m.name === w)?.osRelease().versionId;
      assert.equal(n.metadata.labels[`${P}id`], 'flatcar');
      assert.equal(n.metadata.labels[`${P}version`], version);
      assert.equal(n.metadata.labels[`${P}reboot-needed`], 'false');
      assert.equal(n.metadata.annotations[`${P}reboot-in-progress`], 'false');
    }
    await waitFor('worker-2 status from update_engine (running there)', async () => (await node('worker-2')).metadata.annotations[`${P}status`] === 'UPDATE_STATUS_IDLE');
    assert.equal((await node('worker-1')).metadata.annotations[`${P}status`], undefined, 'update-engine is masked on worker-1: no status to write');
  });

  it('updates every node by itself, one at a time, with FLUO\'s exact annotation sequence', async () => {
    const from = new Map(sim.machines.map((m) => [m.name, m.osRelease().versionId]));
    for (const w of ['worker-1', 'worker-3']) {
      await run(w, 'sudo systemctl unmask update-engine.service');
      await run(w, 'sudo systemctl start update-engine.service');
    }
    for (const w of WORKERS) await run(w, 'update_engine_client -check_for_update');

    await waitFor('every node rebooted into its update and back in service', async () => {
      for (const w of WORKERS) {
        const n = await node(w);
        const a = n.metadata.annotations;
        if (sim.machines.find((m) => m.name === w)?.osRelease().versionId === from.get(w)) return false;
        if (a[`${P}reboot-ok`] !== 'false' || n.spec.unschedulable || a[`${P}status`] !== 'UPDATE_STATUS_IDLE') return false;
      }
      return true;
    }, { timeoutMs: 120_000 });

    const all = events();
    // One node out of service at a time: FLUO's cordon-to-uncordon windows never overlap, and every reboot is inside one.
    const cordons = agentCordons(all).sort((a, b) => a.start - b.start);
    assert.deepEqual(cordons.map((c) => c.node).sort(), WORKERS);
    for (let i = 1; i < cordons.length; i++) assert.ok((cordons[i - 1] as { end: number }).end <= (cordons[i] as { start: number }).start, `${JSON.stringify(cordons)} overlap`);
    for (const e of all.filter((x) => x.kind === 'reboot-start')) {
      assert.equal(e.by, 'update-agent');
      const c = cordons.find((x) => x.node === e.node);
      assert.ok(c && c.start <= Date.parse(e.ts) && Date.parse(e.ts) <= c.end, `${e.node} rebooted outside its cordon`);
    }

    // worker-2's update as FLUO writes it, in order (update_engine's own events in between).
    const triggered = all.findIndex((e) => e.node === 'worker-2' && e.kind === 'update-engine' && e.to === 'UPDATE_STATUS_CHECKING_FOR_UPDATE');
    const informational = new Set(['id', 'group', 'version', 'last-checked-time', 'new-version']);
    const story = describeStory(all.slice(triggered).filter((e) => e.node === 'worker-2' && ((e.kind === 'fluo' && !informational.has(String(e.key))) || e.kind === 'reboot-start' || e.kind === 'up')));
    assert.deepEqual(story, [
      'update-agent: annotation status=UPDATE_STATUS_CHECKING_FOR_UPDATE',
      'update-agent: annotation status=UPDATE_STATUS_UPDATE_AVAILABLE',
      'update-agent: annotation status=UPDATE_STATUS_DOWNLOADING',
      'update-agent: annotation status=UPDATE_STATUS_FINALIZING',
      'update-agent: annotation reboot-needed=true, annotation status=UPDATE_STATUS_UPDATED_NEED_REBOOT, label reboot-needed=true',
      'update-operator: label before-reboot=true',
      'update-operator: annotation reboot-ok=true, label before-reboot=null',
      'update-agent: annotation agent-made-unschedulable=true, annotation reboot-in-progress=true',
      'update-agent: spec unschedulable=true',
      'reboot-start shutting-down',
      'up up',
      'update-agent: annotation reboot-in-progress=false, annotation reboot-needed=false, label reboot-needed=false',
      'update-operator: label after-reboot=true',
      'update-operator: annotation reboot-ok=false, label after-reboot=null',
      'update-agent: spec unschedulable=false',
      'update-agent: annotation agent-made-unschedulable=false',
      'update-agent: annotation status=UPDATE_STATUS_IDLE',
    ]);
    const statusWrites = fluoWrites('worker-2').filter((e) => e.key === 'status');
    assert.equal(new Set(statusWrites.map((e) => e.ts + String(e.to))).size, statusWrites.length);
    assert.ok(all.some((e) => e.node === 'worker-2' && e.kind === 'download-progress'), 'the download progressed');
    assert.equal(statusWrites.filter((e) => e.to === 'UPDATE_STATUS_DOWNLOADING').length, 1, 'progress is never written');

    for (const w of WORKERS) {
      const n = await node(w);
      const version = sim.machines.find((m) => m.name === w)?.osRelease().versionId;
      assert.notEqual(version, from.get(w));
      assert.equal(n.metadata.labels[`${P}version`], version, `${w} version label`);
      assert.equal(n.metadata.labels[`${P}reboot-needed`], 'false');
      assert.equal(n.metadata.annotations[`${P}reboot-needed`], 'false');
      assert.equal(n.metadata.annotations[`${P}reboot-in-progress`], 'false');
      assert.equal(n.metadata.annotations[`${P}new-version`], '0.0.0');
      assert.equal(n.metadata.labels[`${P}before-reboot`], undefined);
      assert.equal(n.metadata.labels[`${P}after-reboot`], undefined);
    }
  });

  it('the operator selects a node only inside its reboot window', async () => {
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const configure = async (start: string) => {
      const since = Date.now();
      await api.call('PATCH', '/apis/apps/v1/namespaces/reboot-coordinator/deployments/flatcar-linux-update-operator', {
        spec: { template: { spec: { containers: [{ name: 'update-operator', env: [{ name: 'UPDATE_OPERATOR_REBOOT_WINDOW_START', value: start }, { name: 'UPDATE_OPERATOR_REBOOT_WINDOW_LENGTH', value: '1h' }] }] } } },
      }, ContentType.strategic);
      const started = await waitFor(`the operator restarted with window ${start}`, () => events().find((e) => e.kind === 'fluo-role' && e.role === 'update-operator' && e.to === 'running' && Date.parse(e.ts) > since), { timeoutMs: 60_000 });
      await waitFor('the new operator leading', async () => `reboot-coordinator/${(await api.get<{ spec: { holderIdentity: string } }>(LOCK)).spec.holderIdentity}` === started.pod, { timeoutMs: 60_000 });
    };
    await configure(hhmm(Date.now() + 2 * 3600_000));
    sim.releases.publish('beta', { version: '4803.1.1', size: 466_616_320 });
    await run('worker-3', 'update_engine_client -check_for_update');
    await waitFor('worker-3 waiting for a reboot', async () => (await node('worker-3')).metadata.annotations[`${P}reboot-needed`] === 'true', { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 3 * 2_000)); // three operator reconciliations
    assert.equal((await node('worker-3')).metadata.labels[`${P}before-reboot`], undefined, 'outside the window nothing is selected');

    const opened = Date.now();
    await configure(hhmm(opened - 60_000));
    const selected = await waitFor('worker-3 selected inside the window', () =>
      fluoWrites('worker-3').find((e) => e.key === 'before-reboot' && e.to === 'true' && Date.parse(e.ts) > opened), { timeoutMs: 60_000 });
    await waitFor('worker-3 rebooted by FLUO', () => events().some((e) => e.node === 'worker-3' && e.kind === 'reboot-start' && e.by === 'update-agent' && e.ts > selected.ts), { timeoutMs: 60_000 });
  });

  it('a node with a pod no controller owns is never drained: the agent exits and is restarted (crash loop)', async () => {
    await api.call('POST', '/api/v1/namespaces/shop/pods', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug-shell' },
      spec: { nodeName: 'worker-1', containers: [{ name: 'shell', image: 'docker.io/library/busybox:1.37' }] },
    });
    sim.releases.publish('stable', { version: '4803.2.0', size: 461_000_000 });
    await run('worker-1', 'update_engine_client -check_for_update');
    const exited = await waitFor('the agent on worker-1 to exit', () =>
      events().find((e) => e.node === 'worker-1' && e.kind === 'fluo-role' && e.to === 'exited'), { timeoutMs: 60_000 });
    assert.match(String(exited.error), /cannot delete Pods that declare no controller/);
    assert.ok(!events().some((e) => e.node === 'worker-1' && e.kind === 'reboot-start' && Date.parse(e.ts) > Date.parse(exited.ts)));
  });

  it('removing FLUO\'s manifests stops its roles', async () => {
    await api.call('DELETE', '/api/v1/namespaces/reboot-coordinator');
    await waitFor('every FLUO process stopped', () => {
      const roles = events().filter((e) => e.kind === 'fluo-role');
      const running = new Map<string, boolean>();
      for (const e of roles) running.set(String(e.pod), e.to === 'running');
      return [...running.values()].every((r) => !r);
    }, { timeoutMs: 60_000 });
  });
});
