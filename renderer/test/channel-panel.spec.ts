import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseInfo } from '../../app/api/index.ts';
import ChannelPanel from '../src/components/ChannelPanel.svelte';
import { AppState } from '../src/lib/stores/app.svelte.ts';
import { FakeClient } from './fake-client.ts';
import { emulateModalDialogs } from './jsdom-dialog.ts';

beforeAll(emulateModalDialogs);
afterEach(() => cleanup());

const tick = () => new Promise((r) => setTimeout(r, 0));
const releases: ReleaseInfo = {
  cluster: 'demo',
  feedUrl: 'http://127.0.0.1/releases-json',
  fetchedAt: '2026-12-04T19:00:00.000Z',
  error: null,
  channels: [
    { channel: 'stable', version: '4757.2.3', releaseDate: null, source: 'feed' },
    { channel: 'beta', version: '4803.1.0', releaseDate: null, source: 'feed' },
    { channel: 'lts', version: '4081.3.6', releaseDate: null, source: 'feed' },
  ],
};

describe('ChannelPanel', () => {
  it('explains the no-downgrade rule for an older channel, and changes GROUP only after the confirmation', async () => {
    const client = new FakeClient().on('channels.set', (p) => ({ channel: p.channel, changes: [{ node: 'worker-2', from: 'stable', ok: true, error: null }] }));
    render(ChannelPanel, { app: new AppState(client), cluster: 'demo', node: 'worker-2', version: '4757.2.0', channel: 'stable', releases });
    expect(screen.getByText('Channel: stable')).toBeTruthy();
    await fireEvent.change(screen.getByRole('combobox', { name: 'Move to channel' }), { target: { value: 'lts' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Change channel' }));
    const dialog = screen.getByRole('dialog', { name: 'Move worker-2 to lts?' });
    expect(within(dialog).getByTestId('channel-effect').textContent).toMatch(/worker-2 stays on 4757\.2\.0 until lts has a newer release: update_engine never installs an older one/);
    expect(client.calls.map((c) => c.method)).not.toContain('channels.set');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Change channel' }));
    await tick();
    expect(client.calls.find((c) => c.method === 'channels.set')?.params).toEqual({ cluster: 'demo', nodes: ['worker-2'], channel: 'lts' });
    expect(screen.getByText('Channel: lts')).toBeTruthy();
  });

  it('says the node moves to the newest release of a newer channel', async () => {
    render(ChannelPanel, { app: new AppState(new FakeClient()), cluster: 'demo', node: 'worker-2', version: '4757.2.0', channel: 'stable', releases });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Move to channel' }), { target: { value: 'beta' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Change channel' }));
    expect(screen.getByTestId('channel-effect').textContent).toMatch(/worker-2 moves to 4803\.1\.0, the newest release of that channel/);
  });

  it('a node on a channel whose newest is older than its release says the move takes effect when that channel catches up', () => {
    const lts = releases.channels.find((c) => c.channel === 'lts') ?? null;
    render(ChannelPanel, { app: new AppState(new FakeClient()), cluster: 'demo', node: 'worker-2', version: '4757.2.0', channel: 'lts', waiting: lts, releases });
    expect(screen.getByText('Channel: lts')).toBeTruthy();
    expect(screen.getByTestId('channel-waits').textContent).toBe('takes effect when lts catches up: its newest release, 4081.3.6, is older than 4757.2.0, which the node runs');
  });
});
