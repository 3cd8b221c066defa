import { cleanup, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { PreflightReport } from '../../app/api/index.ts';
import Preflight from '../src/components/Preflight.svelte';
import { i18n } from '../src/lib/i18n/index.svelte.ts';

afterEach(() => {
  cleanup();
  i18n.lang = 'en';
});

const hold = { code: 'locksmithdHold' as const, params: { state: 'disabled,active' }, message: 'locksmithd is disabled,active: … flatdeck holds it for the update' };

const report = (plans: PreflightReport['plans'], blockers: PreflightReport['blockers'] = []): PreflightReport => ({
  cluster: 'demo',
  node: 'worker-4',
  ok: blockers.length === 0,
  versionId: '4757.2.0',
  bootId: 'b',
  sudoOk: true,
  updateEngineUnit: 'disabled,active',
  locksmithdUnit: 'disabled,active',
  pods: [],
  blockers,
  errors: [],
  notes: plans.map((p) => p.message),
  plans,
});

describe('Preflight', () => {
  it('lists what the update will do about what pre-flight found, in the UI language', () => {
    render(Preflight, { report: report([hold]) });
    expect(within(screen.getByTestId('preflight-notes')).getByText(/^locksmithd is disabled,active: it would reboot the node without a drain/)).toBeTruthy();
    cleanup();
    i18n.lang = 'de';
    render(Preflight, { report: report([hold]) });
    expect(within(screen.getByTestId('preflight-notes')).getByText(/^locksmithd ist disabled,active: es würde den Knoten ungeräumt neu starten/)).toBeTruthy();
  });

  it('words a blocker about the node itself from its code', () => {
    i18n.lang = 'de';
    const ssh = { kind: 'ssh' as const, severity: 'error' as const, message: 'SSH to worker-4 failed: connect ECONNREFUSED', pod: null, pdb: null, code: 'sshFailed' as const, params: { node: 'worker-4', error: 'connect ECONNREFUSED' } };
    render(Preflight, { report: report([], [ssh]) });
    expect(screen.getByTestId('blocker-text').textContent).toBe('SSH zu worker-4 ist fehlgeschlagen: connect ECONNREFUSED');
  });

  it('shows no list when there is nothing to do', () => {
    render(Preflight, { report: report([]) });
    expect(screen.queryByTestId('preflight-notes')).toBeNull();
  });
});
