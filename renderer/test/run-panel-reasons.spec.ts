import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import RunPanel from '../src/components/RunPanel.svelte';
import { i18n } from '../src/lib/i18n/index.svelte.ts';
import { AppState } from '../src/lib/stores/app.svelte.ts';
import { FakeClient } from './fake-client.ts';
import { rollout } from './fixtures.ts';
import { emulateModalDialogs } from './jsdom-dialog.ts';

beforeAll(emulateModalDialogs);
afterEach(() => {
  cleanup();
  i18n.lang = 'en';
});

/** A cancelled run as the core sends it: a staged node that needs attention, a node skipped before it started. */
function cancelled() {
  const run = rollout('cancelled', [
    ['worker-1', 'needs-attention'],
    ['worker-2', 'skipped'],
    ['worker-3', 'done'],
  ]);
  const [staged, skipped] = run.nodes;
  Object.assign(staged!, {
    toVersion: '4757.2.3',
    attention: ['boots 4757.2.3 at its next reboot: the update is staged (the run stopped before its reboot); …'],
    notes: [{ code: 'staged.stopped', params: { node: 'worker-1', version: '4757.2.3' }, message: 'boots 4757.2.3 at its next reboot: the update is staged (the run stopped before its reboot); …' }],
  });
  Object.assign(skipped!, { error: { kind: 'cancelled', message: 'The run was cancelled before this node', facts: {}, code: 'run.cancelledBefore' } });
  return run;
}

const reason = (node: string) => document.querySelector(`tr[data-reason-for="${node}"]`)?.textContent?.replace(/\s+/g, ' ').trim();

describe('the run panel says why each node was not updated', () => {
  it('in English, from the same codes', () => {
    render(RunPanel, { app: new AppState(new FakeClient()), run: cancelled() });
    expect(reason('worker-1')).toMatch(/^boots 4757\.2\.3 at its next reboot: the update is staged \(the run stopped before its reboot\)/);
    expect(reason('worker-2')).toBe('Cancelled: The run was cancelled before this node.');
    expect(reason('worker-3'), 'an updated node has no reason row').toBeUndefined();
  });

  it('says in German what a run waits for: the reboot window, with its days and opening in German', () => {
    i18n.lang = 'de';
    const run = {
      ...rollout('running', [['worker-1', 'ready-to-reboot']]),
      waitingFor: 'the reboot window (Sat,Sun 02:00 for 120 min, Europe/Berlin); opens 2026-12-05T01:00:00.000Z',
      waiting: { code: 'rebootWindow' as const, params: { days: 'Sat,Sun', start: '02:00', minutes: 120, timeZone: 'Europe/Berlin', opens: '2026-12-05T01:00:00.000Z' } },
    };
    render(RunPanel, { app: new AppState(new FakeClient()), run });
    expect(screen.getByTestId('run-waiting').textContent).toMatch(/^wartet auf: das Neustart-Zeitfenster \(Sa, So 02:00 für 120 min, Europe\/Berlin\); öffnet \d{2}\.12\.26, \d{2}:00/);
  });

  it('in German, with the counts by plural rules', () => {
    i18n.lang = 'de';
    render(RunPanel, { app: new AppState(new FakeClient()), run: cancelled() });
    expect(reason('worker-1')).toMatch(/^startet beim nächsten Neustart 4757\.2\.3: das Update ist bereitgestellt \(der Lauf hat vor dem Neustart angehalten\)/);
    expect(reason('worker-2')).toBe('Abgebrochen: Der Lauf wurde vor diesem Knoten abgebrochen.');
    const counts = screen.getByTestId('run-counts');
    expect(counts.textContent).toMatch(/^1 von 3 Knoten aktualisiert/);
    expect([...counts.querySelectorAll('.count')].map((c) => c.textContent?.trim())).toEqual(['1 übersprungen', '1 braucht Aufmerksamkeit']);
  });
});
