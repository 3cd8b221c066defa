import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import { FleetStore } from '../src/lib/stores/fleet.svelte.ts';
import { node, live } from './fixtures.ts';
import { FakeClient } from './fake-client.ts';

/** Runs scheduled updates on demand instead of per animation frame. */
function manualSchedule() {
  const queue: Array<() => void> = [];
  return {
    schedule: (run: () => void) => () => queue.push(run),
    flush: () => queue.splice(0).forEach((run) => run()),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

function client() {
  return new FakeClient()
    .on('nodes.list', () => [node('a'), node('b')])
    .on('rollout.list', () => [])
    .on('releases.get', () => ({
      cluster: 'demo',
      feedUrl: 'http://127.0.0.1:1/releases-json/',
      fetchedAt: null,
      error: null,
      channels: [{ channel: 'stable' as const, version: '4081.2.1', releaseDate: null, source: 'feed' as const }],
    }))
    .on('nodes.refreshLive', () => [live('a', 'UPDATE_STATUS_IDLE', new Date().toISOString())])
    .on('nodes.followLive', () => ({ following: 2, waiting: 0 }));
}

describe('FleetStore', () => {
  it('subscribes on first reader, loads a snapshot, and unsubscribes when the last reader goes', async () => {
    const c = client();
    const { schedule, flush } = manualSchedule();
    const store = new FleetStore(c, 'demo', schedule);
    expect(c.events.size).toBe(0);

    let seen: string[] = [];
    const stop1 = $effect.root(() => {
      $effect(() => {
        seen = store.rows.map((r) => r.name);
      });
    });
    const stop2 = $effect.root(() => {
      $effect(() => {
        void store.version;
      });
    });
    flushSync();
    expect(c.events.size).toBe(1);
    await settle();
    flush();
    flushSync();
    expect(seen.sort()).toEqual(['a', 'b']);
    // after the first whole read the core is asked to follow every node and push what changes
    expect(c.calls.map((x) => x.method)).toEqual(['nodes.list', 'rollout.list', 'releases.get', 'nodes.refreshLive', 'nodes.followLive']);
    expect(store.releases?.channels[0]?.version).toBe('4081.2.1');
    expect(store.row('a')?.live?.updateEngine?.currentOp).toBe('UPDATE_STATUS_IDLE');

    stop1();
    await settle();
    expect(c.events.size).toBe(1);
    stop2();
    await settle();
    expect(c.events.size).toBe(0);
  });

  it('knows how many nodes the core does not follow live (a large cluster is followed in part)', async () => {
    const c = client().on('nodes.followLive', () => ({ following: 200, waiting: 4800 }));
    const store = new FleetStore(c, 'demo', manualSchedule().schedule);
    const stop = $effect.root(() => {
      $effect(() => void store.version);
    });
    flushSync();
    await settle();
    expect(store.liveWaiting).toBe(4800);
    stop();
  });

  it('coalesces a burst of pushed events into one update and ignores other clusters', async () => {
    const c = client();
    const { schedule, flush } = manualSchedule();
    const store = new FleetStore(c, 'demo', schedule);
    let runs = 0;
    const stop = $effect.root(() => {
      $effect(() => {
        void store.version;
        runs++;
      });
    });
    flushSync();
    await settle();
    flush();
    flushSync();
    const before = runs;
    for (let i = 0; i < 50; i++) {
      c.push({ topic: 'nodes', payload: { type: 'live', cluster: 'demo', state: live('b', 'UPDATE_STATUS_DOWNLOADING', new Date().toISOString(), i / 50, 1000) } });
    }
    c.push({ topic: 'nodes', payload: { type: 'delete', cluster: 'elsewhere', name: 'a' } });
    flush();
    flushSync();
    expect(runs).toBe(before + 1);
    expect(store.row('b')?.live?.updateEngine?.progress).toBe(49 / 50);
    expect(store.row('a')).toBeDefined();
    expect(store.history('b')?.samples.length).toBe(50);
    stop();
  });

  it('counts versions for the history chart when a version changes, not on every heartbeat', async () => {
    const c = client();
    const { schedule, flush } = manualSchedule();
    const store = new FleetStore(c, 'demo', schedule);
    const stop = $effect.root(() => {
      $effect(() => void store.version);
    });
    flushSync();
    await settle();
    flush();
    const counts = () => store.versionHistory.samples.map((s) => s.versions);
    expect(counts()).toEqual([{ '4081.2.0 · stable': 2 }]);
    const beat = (at: string) => c.push({ topic: 'nodes', payload: { type: 'upsert', cluster: 'demo', node: node('a', { lastHeartbeat: at }) } });
    beat('2026-12-04T22:00:00Z');
    flush();
    c.push({ topic: 'nodes', payload: { type: 'upsert', cluster: 'demo', node: node('b', { flatcarVersion: '4152.2.1', osImage: 'Flatcar Container Linux by Kinvolk 4152.2.1' }) } });
    beat('2026-12-04T22:00:10Z');
    flush();
    beat('2026-12-04T22:00:20Z');
    flush();
    expect(counts()).toEqual([{ '4081.2.0 · stable': 2 }, { '4152.2.1 · stable': 1, '4081.2.0 · stable': 1 }]);
    stop();
  });
});

describe('FleetStore.history', () => {
  it('hands out a new value after each change, so derived views (terminal, download bar) update', async () => {
    const c = client();
    const { schedule, flush } = manualSchedule();
    const store = new FleetStore(c, 'demo', schedule);
    let lines = -1;
    const stop = $effect.root(() => {
      $effect(() => {
        lines = store.history('a')?.commands.length ?? 0;
      });
    });
    flushSync();
    await settle();
    flush();
    flushSync();
    expect(lines).toBe(0);
    const line = (stream: 'command' | 'exit', data: string) =>
      c.push({ topic: 'command', payload: { runId: 'r', cluster: 'demo', node: 'a', commandId: '1', command: 'sudo systemctl reboot', stream, data, at: new Date().toISOString() } });
    line('command', '');
    flush();
    flushSync();
    expect(lines).toBe(1);
    line('exit', '0');
    flush();
    flushSync();
    expect(lines).toBe(2);
    stop();
  });
});

describe('AppState settings', () => {
  it('changes the language with a patch naming only the language, so only it changes (and only it is logged)', async () => {
    const { AppState } = await import('../src/lib/stores/app.svelte.ts');
    const { Settings, SettingsPatch } = await import('../../app/api/index.ts');
    let stored = Settings.parse({ ssh: { user: 'ops' } });
    const patches: unknown[] = [];
    // settings.set as the core does it: a patch over what is stored.
    const c = new FakeClient().on('settings.get', () => stored).on('settings.set', (p) => {
      patches.push(p);
      return (stored = Settings.parse({ ...stored, ...SettingsPatch.parse(p) }));
    });
    await new AppState(c).setLanguage('de');
    expect(patches).toEqual([{ language: 'de' }]);
    expect(stored.language).toBe('de');
    expect(stored.ssh.user).toBe('ops');
  });
});

describe('FleetStore after a node finishes', () => {
  it('reads that node over SSH once more, and only once', async () => {
    const c = client();
    const { schedule, flush } = manualSchedule();
    const store = new FleetStore(c, 'demo', schedule);
    const stop = $effect.root(() => {
      $effect(() => {
        void store.version;
      });
    });
    flushSync();
    await settle();
    flush();
    const base = {
      runId: 'r1', cluster: 'demo', kind: 'single' as const, startedAt: new Date().toISOString(), finishedAt: null, etaSeconds: null, error: null, waitingFor: null, waiting: null,
    };
    const nodeState = (phase: 'active' | 'done') => ({
      node: 'a', phase, step: null, fromVersion: '1', toVersion: '2', downloadProgress: null, startedAt: null, finishedAt: null, etaSeconds: null, error: null, attention: [], notes: [],
    });
    c.push({ topic: 'rollout', payload: { ...base, status: 'running', nodes: [nodeState('active')] } });
    c.push({ topic: 'rollout', payload: { ...base, status: 'running', nodes: [nodeState('done')] } });
    c.push({ topic: 'rollout', payload: { ...base, status: 'succeeded', nodes: [nodeState('done')] } });
    await settle();
    const reads = c.calls.filter((x) => x.method === 'nodes.refreshLive');
    expect(reads.map((x) => x.params)).toEqual([{ cluster: 'demo' }, { cluster: 'demo', nodes: ['a'] }]);
    stop();
  });
});
