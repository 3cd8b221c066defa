import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UsrPartitions } from '../../app/api/index.ts';
import RollbackPanel from '../src/components/RollbackPanel.svelte';
import { AppState } from '../src/lib/stores/app.svelte.ts';
import { FakeClient } from './fake-client.ts';
import { emulateModalDialogs } from './jsdom-dialog.ts';

beforeAll(emulateModalDialogs);
afterEach(() => cleanup());

const tick = () => new Promise((r) => setTimeout(r, 0));
const usr = (other: Partial<UsrPartitions['other']>, rollback: UsrPartitions['rollback'], nextBoot: UsrPartitions['nextBoot'] = 'booted'): UsrPartitions => ({
  booted: { device: '/dev/sda4', label: 'USR-B', priority: 2, tries: 0, successful: true, version: '4757.2.0' },
  other: { device: '/dev/sda3', label: 'USR-A', priority: 1, tries: 0, successful: true, version: '4593.2.0', ...other },
  nextBoot,
  rollback,
});

describe('RollbackPanel', () => {
  it('shows the previous release and rolls back only after the confirmation', async () => {
    const client = new FakeClient()
      .on('nodes.usrPartitions', () => usr({}, { kind: 'rollback', version: '4593.2.0' }))
      .on('settings.get', () => { throw new Error('no settings in this test'); })
      .on('pipeline.rollbackNode', () => ({ runId: 'r1' }));
    render(RollbackPanel, { app: new AppState(client), cluster: 'demo', node: 'worker-2', running: false });
    await tick();
    expect(screen.getByTestId('previous-version').textContent).toBe('previous: 4593.2.0 (other partition)');
    await fireEvent.click(screen.getByRole('button', { name: 'Roll back' }));
    const dialog = screen.getByRole('dialog', { name: 'Roll back worker-2?' });
    expect(within(dialog).getByText(/goes back from 4757\.2\.0 to 4593\.2\.0/)).toBeTruthy();
    expect(client.calls.map((c) => c.method)).not.toContain('pipeline.rollbackNode');
    // the drain's pod policy is chosen in the confirmation, as for an update
    await fireEvent.change(within(dialog).getByRole('combobox', { name: 'Pods without controller' }), { target: { value: 'delete' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Roll back' }));
    await tick();
    const call = client.calls.find((c) => c.method === 'pipeline.rollbackNode');
    expect(call?.params).toMatchObject({ cluster: 'demo', node: 'worker-2', options: { emptyDirPolicy: 'refuse', unmanagedPodPolicy: 'delete' } });
  });

  it('says why a node cannot be rolled back and offers no action', async () => {
    const reason = 'the other USR partition (USR-B, /dev/sda4) holds no Flatcar release: this machine has never been updated, so there is nothing to go back to';
    const client = new FakeClient().on('nodes.usrPartitions', () => usr({ version: null, successful: false }, { kind: 'impossible', reason }));
    render(RollbackPanel, { app: new AppState(client), cluster: 'demo', node: 'worker-9', running: false });
    await tick();
    expect(screen.getByTestId('previous-version').textContent).toBe(`No rollback: ${reason}`);
    expect(screen.queryByRole('button', { name: 'Roll back' })).toBeNull();
  });

  it('offers to discard an update staged on the other partition', async () => {
    const client = new FakeClient().on('nodes.usrPartitions', () => usr({ version: '4757.2.3', successful: false, tries: 1, priority: 2 }, { kind: 'discard-staged', version: '4757.2.3' }, 'other'));
    render(RollbackPanel, { app: new AppState(client), cluster: 'demo', node: 'worker-2', running: false });
    await tick();
    expect(screen.getByTestId('previous-version').textContent).toMatch(/update to 4757\.2\.3 is staged/);
    expect(screen.getByRole('button', { name: 'Discard staged update' })).toBeTruthy();
  });
});
