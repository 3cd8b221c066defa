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

function client() {
  return new FakeClient()
    .on('nodes.list', () => [node('a'), node('b')])
    .on('rollout.list', () => [])
    .on('settings.get', () => { throw new Error('defaults'); })
    .on('releases.get', () => ({ cluster: 'demo', feedUrl: 'http://127.0.0.1:1/releases-json/', fetchedAt: null, error: null, channels: [{ channel: 'stable' as const, version: '4757.2.3', releaseDate: null, source: 'feed' as const }] }))
    .on('rollout.start', () => ({ runId: 'r1' }));
}

async function startWith(target: string | null) {
  const c = client();
  const fleet = new FleetStore(c, 'demo', (run) => (run(), () => undefined));
  render(RolloutView, { app: new AppState(c), fleet });
  await settle();
  const field = screen.getByRole('combobox', { name: /Target version/ });
  expect(field.getAttribute('placeholder')).toBe('newest of the channel');
  if (target !== null) await fireEvent.input(field, { target: { value: target } });
  await fireEvent.click(screen.getByRole('button', { name: /^Update \d+ node/ }));
  await fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Start rollout' }));
  await settle();
  return c.calls.find((call) => call.method === 'rollout.start')?.params as { options: { toVersion: string | null } } | undefined;
}

describe('RolloutView target version', () => {
  it('defaults to the newest of each channel (no toVersion)', async () => {
    expect((await startWith(null))?.options.toVersion).toBeNull();
  });

  it('sends the exact version the operator typed', async () => {
    expect((await startWith('4593.2.0'))?.options.toVersion).toBe('4593.2.0');
  });
});
