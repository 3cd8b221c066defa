import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import UbuntuRebootPanel from '../src/components/UbuntuRebootPanel.svelte';
import { AppState } from '../src/lib/stores/app.svelte.ts';
import { FakeClient } from './fake-client.ts';
import { emulateModalDialogs } from './jsdom-dialog.ts';

beforeAll(emulateModalDialogs);
afterEach(() => cleanup());

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('UbuntuRebootPanel', () => {
  it('shows how many packages ask for a reboot and reboots only after the confirmation, offering the migration next to it', async () => {
    const client = new FakeClient()
      .on('nodes.rebootRequired', () => ({ required: true, packages: ['linux-image-5.15.0-127-generic', 'linux-base'], machineDeployment: 'kube-system/ubuntu-workers' }))
      .on('settings.get', () => { throw new Error('no settings in this test'); })
      .on('pipeline.rebootNode', () => ({ runId: 'r1' }));
    render(UbuntuRebootPanel, { app: new AppState(client), cluster: 'demo', node: 'worker-6', running: false });
    await tick();
    expect(screen.getByTestId('reboot-required').textContent).toBe('reboot required (2 packages)');
    expect(screen.getByTestId('migrate-hint').textContent).toMatch(/migrating MachineDeployment kube-system\/ubuntu-workers to Flatcar replaces it .*flatdeck md migrate-flatcar kube-system\/ubuntu-workers/);
    await fireEvent.click(screen.getByRole('button', { name: 'Reboot' }));
    const dialog = screen.getByRole('dialog', { name: 'Reboot worker-6?' });
    expect(within(dialog).getByText(/rebooted for linux-image-5\.15\.0-127-generic, linux-base: lock, cordon, drain/)).toBeTruthy();
    expect(client.calls.map((c) => c.method)).not.toContain('pipeline.rebootNode');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Reboot' }));
    await tick();
    const call = client.calls.find((c) => c.method === 'pipeline.rebootNode');
    expect(call?.params).toMatchObject({ cluster: 'demo', node: 'worker-6', force: false });
  });

  it('offers no Reboot when the node does not need one', async () => {
    const client = new FakeClient().on('nodes.rebootRequired', () => ({ required: false, packages: [], machineDeployment: null }));
    render(UbuntuRebootPanel, { app: new AppState(client), cluster: 'demo', node: 'worker-6', running: false });
    await tick();
    expect(screen.getByTestId('reboot-required').textContent).toBe('no reboot required');
    expect(screen.queryByRole('button', { name: 'Reboot' })).toBeNull();
    expect(screen.getByTestId('migrate-hint').textContent).toMatch(/migrate its MachineDeployment to Flatcar/);
  });
});
