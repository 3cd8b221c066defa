import { cleanup, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { PreflightReport } from '../../app/api/index.ts';
import Preflight from '../src/components/Preflight.svelte';

afterEach(() => cleanup());

const report = (notes: string[]): PreflightReport => ({
  cluster: 'demo',
  node: 'worker-4',
  ok: true,
  versionId: '4757.2.0',
  bootId: 'b',
  sudoOk: true,
  updateEngineUnit: 'disabled,active',
  locksmithdUnit: 'disabled,active',
  pods: [],
  blockers: [],
  errors: [],
  notes,
});

describe('Preflight', () => {
  it('lists what the update will do about what pre-flight found', () => {
    render(Preflight, { report: report(['locksmithd is disabled,active: … flatdeck holds it for the update']) });
    const notes = screen.getByTestId('preflight-notes');
    expect(within(notes).getByText('locksmithd is disabled,active: … flatdeck holds it for the update')).toBeTruthy();
  });

  it('shows no list when there is nothing to do', () => {
    render(Preflight, { report: report([]) });
    expect(screen.queryByTestId('preflight-notes')).toBeNull();
  });
});
