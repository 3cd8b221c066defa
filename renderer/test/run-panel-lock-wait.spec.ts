import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutState } from '../../app/api/index.ts';
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

/** A run waiting at the cluster lock, as the core sends it: the English text and the same wait as a code. */
function waitingRun(waitingFor: string, waiting: NonNullable<RolloutState['waiting']>): RolloutState {
  return { ...rollout('waiting-for-lock', [['worker-3', 'waiting']]), waitingFor, waiting };
}
const shown = () => screen.getByTestId('run-waiting').textContent;

const full = waitingRun(
  '2 nodes are out of service, at most 2 at once: node worker-1 is in step drain of flatdeck run r7 by op@a (since 2026-12-04T18:00:00Z); FLUO is rebooting node worker-2 (reboot-in-progress)',
  {
    code: 'lockFull',
    params: { count: 2, max: 2 },
    parts: [
      { code: 'nodeInStep', params: { node: 'worker-1', step: 'drain', run: 'r7', instance: 'op@a', since: '2026-12-04T18:00:00Z' } },
      { code: 'fluoRebooting', params: { node: 'worker-2', state: 'reboot-in-progress' } },
    ],
  },
);

describe('the run panel says what a run waits for at the cluster lock in the UI language', () => {
  it('in German: K nodes out of service, each with its reason, the step and the time in German', () => {
    i18n.lang = 'de';
    render(RunPanel, { app: new AppState(new FakeClient()), run: full });
    expect(shown()).toMatch(
      /^wartet auf: 2 Knoten sind außer Betrieb, höchstens 2 gleichzeitig: Knoten worker-1 ist in Schritt Drain von flatdeck-Lauf r7 durch op@a \(seit 04\.12\.26, \d{2}:00:00\); FLUO startet Knoten worker-2 neu \(reboot-in-progress\)$/,
    );
  });

  it('in German: a node of its own failure domain, and another instance holding the Lease with its countdown', () => {
    i18n.lang = 'de';
    const domain = waitingRun('node worker-4 holds a slot of the cluster update lock (op@b), in the same failure domain (topology.kubernetes.io/zone=zone-c)', {
      code: 'lockSameDomain',
      params: { label: 'topology.kubernetes.io/zone', value: 'zone-c' },
      parts: [{ code: 'nodeHoldsSlot', params: { node: 'worker-4', holder: 'op@b' } }],
    });
    render(RunPanel, { app: new AppState(new FakeClient()), run: domain });
    expect(shown()).toBe('wartet auf: Knoten worker-4 hält einen Platz der Update-Sperre des Clusters (op@b), in derselben Ausfalldomäne (topology.kubernetes.io/zone=zone-c)');
    cleanup();
    const lease = waitingRun('the cluster update lock kube-system/flatdeck-update-lock is held by op@b (no renewal seen for 5 s; it counts as abandoned in 10 s unless renewed)', {
      code: 'leaseHeld',
      params: { lock: 'kube-system/flatdeck-update-lock', holder: 'op@b', silent: 5, expires: 10 },
    });
    render(RunPanel, { app: new AppState(new FakeClient()), run: lease });
    expect(shown()).toBe('wartet auf: die Update-Sperre des Clusters kube-system/flatdeck-update-lock hält op@b (seit 5 s nicht erneuert; gilt in 10 s als aufgegeben, wenn sie nicht erneuert wird)');
  });

  it('in English, worded like the core says it', () => {
    render(RunPanel, { app: new AppState(new FakeClient()), run: full });
    expect(shown()).toMatch(/^waiting for: 2 nodes are out of service, at most 2 at once: node worker-1 is in step Drain of flatdeck run r7 by op@a \(since .+\); FLUO is rebooting node worker-2 \(reboot-in-progress\)$/);
  });

  it('where the code lacks a value (a Lease holder nobody named), the core\'s English text', () => {
    i18n.lang = 'de';
    const text = 'the cluster update lock kube-system/flatdeck-update-lock is held by someone else';
    render(RunPanel, { app: new AppState(new FakeClient()), run: waitingRun(text, { code: 'lockHeld', params: { lock: 'kube-system/flatdeck-update-lock', holder: null } }) });
    expect(shown()).toBe(`wartet auf: ${text}`);
  });
});
