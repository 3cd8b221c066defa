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
    expect(screen.getByTestId('reboot-packages').textContent).toBe('linux-image-5.15.0-127-generic, linux-base');
    const migrate = screen.getByRole('region', { name: 'Migrate to Flatcar' });
    expect(migrate.textContent).toMatch(/Its MachineDeployment is kube-system\/ubuntu-workers: .*flatdeck md migrate-flatcar kube-system\/ubuntu-workers/);
    expect(within(migrate).getByTestId('migrate-change').textContent).toMatch(/operatingSystem: flatcar .*\n.*\n +provisioningUtility: ignition/);
    expect(within(migrate).getByRole('link', { name: /Flatcar in Kubermatic machine-controller/ }).getAttribute('href')).toBe('https://docs.kubermatic.com/machine-controller/main/references/operating-systems/flatcar/');
    await fireEvent.click(screen.getByRole('button', { name: 'Reboot' }));
    const dialog = screen.getByRole('dialog', { name: 'Reboot worker-6?' });
    expect(within(dialog).getByText(/rebooted for linux-image-5\.15\.0-127-generic, linux-base: lock, cordon, drain/)).toBeTruthy();
    expect(client.calls.map((c) => c.method)).not.toContain('pipeline.rebootNode');
    // the drain's pod policy is chosen in the confirmation, as for an update
    await fireEvent.change(within(dialog).getByRole('combobox', { name: 'Pods with emptyDir data' }), { target: { value: 'delete' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Reboot' }));
    await tick();
    const call = client.calls.find((c) => c.method === 'pipeline.rebootNode');
    expect(call?.params).toMatchObject({ cluster: 'demo', node: 'worker-6', force: false, options: { emptyDirPolicy: 'delete', unmanagedPodPolicy: 'refuse' } });
  });

  it('offers no Reboot when the node does not need one', async () => {
    const client = new FakeClient().on('nodes.rebootRequired', () => ({ required: false, packages: [], machineDeployment: null }));
    render(UbuntuRebootPanel, { app: new AppState(client), cluster: 'demo', node: 'worker-6', running: false });
    await tick();
    expect(screen.getByTestId('reboot-required').textContent).toBe('no reboot required');
    expect(screen.queryByRole('button', { name: 'Reboot' })).toBeNull();
    expect(screen.getByTestId('migrate-hint').textContent).toMatch(/No MachineDeployment owns this node/);
    expect(screen.queryByRole('button', { name: /^Migrate / })).toBeNull();
  });

  it("opens the Auto-update view, where the MachineDeployment's migration is confirmed, from the node", async () => {
    const client = new FakeClient().on('nodes.rebootRequired', () => ({ required: false, packages: [], machineDeployment: 'kube-system/ubuntu-workers' }));
    const app = new AppState(client);
    render(UbuntuRebootPanel, { app, cluster: 'demo', node: 'worker-6', running: false });
    await tick();
    await fireEvent.click(screen.getByRole('button', { name: 'Migrate kube-system/ubuntu-workers…' }));
    expect(app.view).toBe('auto-update');
    expect(client.calls.map((c) => c.method)).toEqual(['nodes.rebootRequired']);
  });
});
