import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import StagedBadge from '../src/components/StagedBadge.svelte';
import { attentionReasons } from '../src/lib/model/fleet.ts';
import { stagedCount } from '../src/lib/model/breakdown.ts';
import { node } from './fixtures.ts';

afterEach(() => cleanup());

const row = (stagedVersion: string | null, runStatus: 'running' | null = null) => ({
  name: 'worker-2',
  summary: node('worker-2', { stagedVersion }),
  live: null,
  run: null,
  runId: runStatus ? 'r1' : null,
  runStatus,
  lastStep: null,
});

describe('a staged update', () => {
  it('shows the version the node boots at its next reboot', () => {
    render(StagedBadge, { version: '4757.2.3' });
    const badge = screen.getByText('Staged 4757.2.3');
    expect(badge.getAttribute('title')).toBe('Boots 4757.2.3 at its next reboot');
    expect(badge.dataset.staged).toBe('4757.2.3');
  });

  it('makes the node need attention first, unless a run is working on it', () => {
    expect(attentionReasons(row('4757.2.3'))[0]).toBe('staged');
    expect(attentionReasons(row('4757.2.3', 'running'))).not.toContain('staged');
    expect(attentionReasons(row(null))).toEqual([]);
  });

  it('is counted for the overview', () => {
    expect(stagedCount([row('4757.2.3'), row(null), row('4757.2.3', 'running')])).toBe(2);
  });
});
