import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppState } from '../src/lib/stores/app.svelte.ts';
import { FleetStore } from '../src/lib/stores/fleet.svelte.ts';
import RolloutView from '../src/views/RolloutView.svelte';
import { FakeClient } from './fake-client.ts';
import { emulateModalDialogs } from './jsdom-dialog.ts';
import { node } from './fixtures.ts';

beforeAll(emulateModalDialogs);
afterEach(() => cleanup());

const settle = () => new Promise((r) => setTimeout(r, 0));

interface Sent {
  options: { maxUnavailable: number; canary: boolean; order: string };
}

/** Renders the rollout page, lets `adjust` set fields, starts the rollout and returns what it sent. */
async function start(adjust: () => Promise<void>): Promise<Sent | undefined> {
  const c = new FakeClient()
    .on('nodes.list', () => [node('a'), node('b'), node('c')])
    .on('rollout.list', () => [])
    .on('settings.get', () => {
      throw new Error('defaults');
    })
    .on('releases.get', () => ({ cluster: 'demo', feedUrl: 'http://127.0.0.1:1/releases-json/', fetchedAt: null, error: null, channels: [] }))
    .on('rollout.start', () => ({ runId: 'r1' }));
  render(RolloutView, { app: new AppState(c), fleet: new FleetStore(c, 'demo', (run) => (run(), () => undefined)) });
  await settle();
  await adjust();
  await fireEvent.click(screen.getByRole('button', { name: /^Update \d+ node/ }));
  await fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Start rollout' }));
  await settle();
  return c.calls.find((call) => call.method === 'rollout.start')?.params as Sent | undefined;
}

describe('RolloutView pacing', () => {
  it('one node out of service at a time, no canary, as given, unless the operator changes it', async () => {
    const sent = await start(async () => undefined);
    expect(sent?.options).toMatchObject({ maxUnavailable: 1, canary: false, order: 'as-given' });
  });

  it('sends K, the canary and the order by zone the operator chose', async () => {
    const sent = await start(async () => {
      await fireEvent.input(screen.getByRole('spinbutton', { name: /Nodes out of service at once/ }), { target: { value: '3' } });
      await fireEvent.click(screen.getByRole('checkbox', { name: /Canary/ }));
      await fireEvent.change(screen.getByRole('combobox', { name: /Order/ }), { target: { value: 'by-zone' } });
    });
    expect(sent?.options).toMatchObject({ maxUnavailable: 3, canary: true, order: 'by-zone' });
  });
});
