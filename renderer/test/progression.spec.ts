import { cleanup, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import Progression from '../src/components/Progression.svelte';
import { i18n } from '../src/lib/i18n/index.svelte.ts';
import { FleetModel } from '../src/lib/model/fleet.ts';
import { progression } from '../src/lib/model/progression.ts';
import { live, node, step } from './fixtures.ts';

const at = (s: number) => new Date(Date.UTC(2026, 10, 26, 10, 0, s)).toISOString();

function midDrain() {
  const m = new FleetModel('demo');
  m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('a')] });
  m.applyStep(step('a', 'update', 'started', at(0)));
  m.applyLive(live('a', 'UPDATE_STATUS_CHECKING_FOR_UPDATE', at(1)));
  m.applyLive(live('a', 'UPDATE_STATUS_DOWNLOADING', at(2), 0.5, 1000));
  m.applyLive(live('a', 'UPDATE_STATUS_UPDATED_NEED_REBOOT', at(9)));
  m.applyStep(step('a', 'update', 'succeeded', at(10)));
  m.applyStep(step('a', 'cordon', 'succeeded', at(11)));
  for (const pod of ['p1', 'p2', 'p3', 'p4']) m.applyStep(step('a', 'drain', 'progress', at(12), { detail: { pod, event: 'evicting' } }));
  m.applyStep(step('a', 'drain', 'progress', at(12), { detail: { pod: 'p1', event: 'gone' } }));
  m.applyStep(step('a', 'drain', 'progress', at(13), { detail: { pod: 'p2', event: 'blocked', pdb: 'pdb/web' } }));
  return progression(m.history('a'), 'UPDATE_STATUS_UPDATED_NEED_REBOOT');
}

afterEach(() => {
  cleanup();
  i18n.lang = 'en';
});

describe('Progression', () => {
  it('shows every stage in order with its status, the active step, its time and drain counts', () => {
    render(Progression, { stages: midDrain(), targetVersion: '4152.2.1' });
    const list = screen.getByRole('list', { name: 'Update progression' });
    const items = within(list).getAllByRole('listitem');
    expect(items.map((li) => li.dataset.stage)).toEqual([
      'UPDATE_STATUS_IDLE',
      'UPDATE_STATUS_CHECKING_FOR_UPDATE',
      'UPDATE_STATUS_UPDATE_AVAILABLE',
      'UPDATE_STATUS_DOWNLOADING',
      'UPDATE_STATUS_FINALIZING',
      'UPDATE_STATUS_UPDATED_NEED_REBOOT',
      'cordon',
      'drain',
      'reboot',
      'verify',
      'uncordon',
    ]);
    expect(items.map((li) => li.dataset.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done', 'done', 'active', 'pending', 'pending', 'pending']);
    const active = items.find((li) => li.getAttribute('aria-current') === 'step');
    expect(active?.dataset.stage).toBe('drain');
    expect(active?.textContent).toContain('1 of 4 pods evicted');
    expect(active?.textContent).toContain('Blocked by pdb/web (p2)');
    expect(items[9]?.textContent).toContain('Back on 4152.2.1');
    expect(items[3]?.querySelector('time')?.getAttribute('datetime')).toBe(at(2));
  });

  it('speaks German when the language changes', async () => {
    i18n.lang = 'de';
    render(Progression, { stages: midDrain(), targetVersion: '4152.2.1' });
    expect(screen.getByRole('list', { name: 'Ablauf des Updates' })).toBeTruthy();
    expect(screen.getByText('Drain (Knoten entleeren)')).toBeTruthy();
    expect(screen.getByText('1 von 4 Pods verdrängt')).toBeTruthy();
    expect(screen.getByText('Wieder da mit 4152.2.1')).toBeTruthy();
  });

  it('a run that only reboots the node (an Ubuntu node) ends back on a new boot, not on a new version', () => {
    const m = new FleetModel('demo');
    m.applyNodes({ type: 'snapshot', cluster: 'demo', nodes: [node('u', { distribution: 'ubuntu', flatcarVersion: null, channel: null })] });
    for (const [i, key] of (['cordon', 'drain', 'reboot', 'verify', 'uncordon'] as const).entries()) m.applyStep(step('u', key, 'succeeded', at(i)));
    const stages = progression(m.history('u'), null).filter((s) => !s.key.startsWith('UPDATE_STATUS_'));
    render(Progression, { stages, targetVersion: null, newBoot: true });
    const verify = screen.getAllByRole('listitem').find((li) => li.dataset.stage === 'verify');
    expect(verify?.textContent).toMatch(/Back on a new boot.*The node reports a new boot ID and is Ready\./);
  });
});
