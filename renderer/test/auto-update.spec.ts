import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AutoUpdateStatus, FluoNodeState, MachineDeploymentSummary } from '../../app/api/index.ts';
import { AppState } from '../src/lib/stores/app.svelte.ts';
import AutoUpdateView from '../src/views/AutoUpdateView.svelte';
import { FakeClient } from './fake-client.ts';
import { emulateModalDialogs } from './jsdom-dialog.ts';
import { node } from './fixtures.ts';

beforeAll(emulateModalDialogs);
afterEach(() => cleanup());

const md = (over: Partial<MachineDeploymentSummary>): MachineDeploymentSummary => ({
  name: 'workers',
  namespace: 'kube-system',
  operatingSystem: 'flatcar',
  disableAutoUpdate: true,
  replicas: 4,
  updatedReplicas: 4,
  readyReplicas: 4,
  nodes: [],
  ...over,
});

function status(enabled: AutoUpdateStatus['enabled']): AutoUpdateStatus {
  return {
    cluster: 'demo',
    enabled,
    fluo: { present: false, namespace: null, version: null, managedBy: null, agentReady: 0, agentDesired: 0 },
    nodes: [{ node: 'worker-1', updateEngine: 'masked', updateEngineActive: false, locksmithd: 'masked', group: 'stable', server: null, reachable: true, error: null, locksmithdActive: false, fluo: null }],
    machineDeployments: [md({}), md({ name: 'legacy', operatingSystem: 'ubuntu', replicas: 3 })],
    warnings: ['FLUO is installed but update-engine is masked on worker-2: those nodes never get updates.'],
    notes: [{ code: 'fluoMasked', params: { nodes: 'worker-2' }, message: 'FLUO is installed but update-engine is masked on worker-2: those nodes never get updates.' }],
    rebootsWithoutDrain: null,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('AutoUpdateView', () => {
  it('shows the plan before applying, then the per-node results', async () => {
    const client = new FakeClient()
      .on('autoUpdate.status', () => status('off'))
      .on('autoUpdate.plan', (p) => ({ planId: 'p1', cluster: p.cluster, enable: p.enable, changes: [{ target: 'FLUO', node: null, action: 'install FLUO v0.10.0-rc2', code: null, params: {} }], notes: ['Not reachable over SSH now: worker-3; …'], planNotes: [{ code: 'unreachable' as const, params: { nodes: 'worker-3' }, message: 'Not reachable over SSH now: worker-3; …' }] }))
      .on('autoUpdate.apply', () => ({ planId: 'p1', results: [{ target: 'update-engine', node: 'worker-1', ok: true, error: null }], unreachable: [] }));
    render(AutoUpdateView, { app: new AppState(client), cluster: 'demo' });
    await tick();
    expect(screen.getByText('FLUO is installed but update-engine is masked on worker-2: those nodes never get updates.')).toBeTruthy();
    const toggle = screen.getByRole('switch', { name: /Automatic updates/ });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    await fireEvent.click(toggle);
    await tick();
    const plan = screen.getByRole('dialog', { name: 'Plan: turn automatic updates on' });
    expect(within(plan).getByText('install FLUO v0.10.0-rc2')).toBeTruthy();
    expect(within(plan).getByText('Not reachable over SSH now: worker-3; they are tried again when the plan is applied and on the next toggle.'), 'the note worded from its code').toBeTruthy();
    expect(client.calls.map((c) => c.method)).not.toContain('autoUpdate.apply');
    await fireEvent.click(within(plan).getByRole('button', { name: 'Apply' }));
    await tick();
    expect(client.calls.find((c) => c.method === 'autoUpdate.apply')?.params).toEqual({ cluster: 'demo', planId: 'p1' });
    expect(screen.getByRole('heading', { name: 'Results' })).toBeTruthy();
  });

  it('says first which nodes reboot without a drain, and each way out asks for its plan', async () => {
    const stock = { ...status('mixed').nodes[0]!, node: 'worker-4', updateEngine: 'vendor-enabled' as const, updateEngineActive: true, locksmithd: 'vendor-enabled' as const, locksmithdActive: true };
    const client = new FakeClient()
      .on('autoUpdate.status', () => ({
        ...status('mixed'),
        nodes: [stock],
        rebootsWithoutDrain: { nodes: ['worker-4'], fluoVersion: 'v0.10.0-rc2', message: '1 node reboots without a drain when an update arrives: worker-4', remedies: [{ enable: true, description: 'Turn auto-update on' }, { enable: false, description: 'Turn auto-update off' }] },
      }))
      .on('autoUpdate.plan', (p) => ({ planId: 'p1', cluster: p.cluster, enable: p.enable, changes: [], notes: [], planNotes: [] }));
    render(AutoUpdateView, { app: new AppState(client), cluster: 'demo' });
    await tick();
    expect([...document.querySelectorAll('td')].filter((td) => td.textContent === 'vendor-enabled (running)')).toHaveLength(2);
    const alert = screen.getByRole('alert');
    expect(within(alert).getByText('1 node reboots without a drain when an update arrives (update-engine and locksmithd running): worker-4')).toBeTruthy();
    expect(within(alert).getByRole('button', { name: /^Turn auto-update on: FLUO v0\.10\.0-rc2 drains each node/ })).toBeTruthy();
    await fireEvent.click(within(alert).getByRole('button', { name: /^Turn auto-update off: no node installs an update by itself/ }));
    await tick();
    expect(client.calls.find((c) => c.method === 'autoUpdate.plan')?.params).toMatchObject({ cluster: 'demo', enable: false });
  });

  it('shows no such alert when no node is at risk', async () => {
    render(AutoUpdateView, { app: new AppState(new FakeClient().on('autoUpdate.status', () => status('off'))), cluster: 'demo' });
    await tick();
    expect(screen.queryByTestId('reboots-without-drain')).toBeNull();
  });

  it('asks "replaces N nodes" before switching a MachineDeployment, and sends that N', async () => {
    const client = new FakeClient()
      .on('autoUpdate.status', () => status('mixed'))
      .on('md.setAutoUpdate', (p) => md({ disableAutoUpdate: !p.enabled, updatedReplicas: 0 }))
      .on('md.migrateFlatcar', () => md({ name: 'legacy', operatingSystem: 'flatcar', replicas: 3, updatedReplicas: 0 }));
    render(AutoUpdateView, { app: new AppState(client), cluster: 'demo' });
    await tick();
    await fireEvent.click(screen.getByRole('switch', { name: 'Auto-update for workers' }));
    const confirm = screen.getByRole('dialog', { name: 'This replaces 4 nodes' });
    await fireEvent.click(within(confirm).getByRole('button', { name: 'Replace 4 nodes' }));
    await tick();
    expect(client.calls.find((c) => c.method === 'md.setAutoUpdate')?.params).toEqual({
      cluster: 'demo',
      namespace: 'kube-system',
      name: 'workers',
      confirmReplacesNodes: 4,
      enabled: true,
    });
    await fireEvent.click(screen.getByRole('button', { name: /Migrate to Flatcar/ }));
    expect(screen.getByRole('dialog', { name: 'This replaces 3 nodes' }).textContent).toContain('3 Ubuntu nodes');
  });

  it('shows the API error in words when the backend does not offer auto-update', async () => {
    const client = new FakeClient();
    client.on('autoUpdate.status', () => {
      throw Object.assign(new Error('autoUpdate.status is not available yet.'), { kind: 'internal' });
    });
    render(AutoUpdateView, { app: new AppState(client), cluster: 'demo' });
    await tick();
    expect(screen.getByRole('alert').textContent).toContain('autoUpdate.status is not available yet.');
  });

  it("follows FLUO on the nodes through pushed node events: each node's phase in the UI's words, and the status again when a node's pause changes", async () => {
    const fluo = (over: Partial<FluoNodeState>): FluoNodeState => ({
      status: 'UPDATE_STATUS_UPDATED_NEED_REBOOT',
      newVersion: '4081.2.1',
      lastCheckedTime: null,
      rebootNeeded: true,
      rebootOk: false,
      rebootInProgress: false,
      rebootPaused: false,
      beforeReboot: false,
      afterReboot: false,
      phase: 'UPDATED_NEED_REBOOT',
      heldBy: null,
      ...over,
    });
    const needReboot = fluo({});
    let heldWarning: AutoUpdateStatus['notes'] = [];
    const client = new FakeClient()
      .on('autoUpdate.status', () => ({ ...status('on'), nodes: [{ ...status('on').nodes[0]!, fluo: needReboot }], warnings: heldWarning.map((w) => w.message), notes: heldWarning }))
      .on('nodes.list', () => [node('worker-1', { fluo: needReboot })])
      .on('rollout.list', () => [])
      .on('releases.get', () => ({ cluster: 'demo', feedUrl: 'http://127.0.0.1:1/', fetchedAt: null, error: null, channels: [] }))
      .on('nodes.refreshLive', () => [])
      .on('nodes.followLive', () => ({ following: 1, waiting: 0 }));
    const app = new AppState(client);
    app.cluster = 'demo';
    render(AutoUpdateView, { app, cluster: 'demo' });
    const phase = () => screen.getByTestId('fluo-phase');
    await waitFor(() => expect(phase().textContent).toBe('Updated, waiting to reboot'));
    const statusReads = () => client.calls.filter((c) => c.method === 'autoUpdate.status').length;
    const readsBefore = statusReads();

    // the operator's after-reboot step: the agent has not rewritten its stale NEED_REBOOT status yet
    const rebooted = fluo({ rebootNeeded: false, rebootOk: true, afterReboot: true, phase: 'REBOOTED' });
    client.push({ topic: 'nodes', payload: { type: 'upsert', cluster: 'demo', node: node('worker-1', { fluo: rebooted }) } });
    await waitFor(() => expect(phase().textContent).toBe('Rebooted'));
    expect(phase().getAttribute('title')).toBe('UPDATE_STATUS_UPDATED_NEED_REBOOT');
    expect(statusReads()).toBe(readsBefore);

    heldWarning = [{ code: 'fluoHeldBy', params: { nodes: 'worker-1 (by laptop-7/abc)', key: 'flatdeck.io/fluo-held-by' }, message: "flatdeck has paused FLUO's reboots on worker-1 (by laptop-7/abc) (flatdeck.io/fluo-held-by): …" }];
    client.push({ topic: 'nodes', payload: { type: 'upsert', cluster: 'demo', node: node('worker-1', { fluo: { ...rebooted, rebootPaused: true, heldBy: 'laptop-7/abc' } }) } });
    await waitFor(() => expect(document.querySelector('[data-warning="fluoHeldBy"]')?.textContent).toMatch(/^flatdeck has paused FLUO's reboots on worker-1 \(by laptop-7\/abc\) \(flatdeck\.io\/fluo-held-by\): right while a flatdeck run holds/));
    expect(statusReads()).toBe(readsBefore + 1);
  });
});
