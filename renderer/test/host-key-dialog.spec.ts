import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import Dialogs from '../src/components/Dialogs.svelte';
import { AppState } from '../src/lib/stores/app.svelte.ts';
import { FakeClient } from './fake-client.ts';
import { emulateModalDialogs } from './jsdom-dialog.ts';

beforeAll(emulateModalDialogs);
afterEach(() => cleanup());

const question = { id: 'q1', kind: 'host-key-unknown' as const, host: '10.0.0.5', port: 22, keyType: 'ssh-ed25519', fingerprint: 'SHA256:new' };

describe('the unknown host key dialog', () => {
  it('warns with the known key’s type, fingerprint and known_hosts line when the host is known under another type', () => {
    const app = new AppState(new FakeClient());
    app.prompts.set([{ ...question, otherKnownKeys: [{ keyType: 'ecdsa-sha2-nistp256', fingerprint: 'SHA256:old', file: '/home/o/.ssh/known_hosts', line: 7 }] }]);
    render(Dialogs, { app });
    const warning = screen.getByTestId('other-key-types');
    expect(warning.textContent).toContain('another type');
    expect(warning.textContent).toContain('ecdsa-sha2-nistp256 SHA256:old (/home/o/.ssh/known_hosts:7)');
    expect(screen.getByTestId('fingerprint').textContent).toBe('SHA256:new');
  });

  it('shows no such warning on a plain first contact', () => {
    const app = new AppState(new FakeClient());
    app.prompts.set([{ ...question, otherKnownKeys: [] }]);
    render(Dialogs, { app });
    expect(screen.getByTestId('fingerprint').textContent).toBe('SHA256:new');
    expect(screen.queryByTestId('other-key-types')).toBeNull();
  });
});
