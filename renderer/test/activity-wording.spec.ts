import { afterEach, describe, expect, it } from 'vitest';
import { ActivityEntry } from '../../app/api/index.ts';
import { i18n, tx } from '../src/lib/i18n/index.svelte.ts';
import { activityWording } from '../src/lib/model/activity.ts';

const entry = (kind: string, params: ActivityEntry['params'], message: string) => ActivityEntry.parse({ at: '2026-12-04T21:00:00Z', cluster: 'demo', node: null, kind, message, params });

/** The entry in the UI language as the Activity view words it, or null (it then shows the English text). */
function worded(e: ActivityEntry): string | null {
  const w = activityWording(e);
  return w ? tx(w.key, e.message, w.vars) : null;
}

describe('Activity entries worded from their kind and params', () => {
  afterEach(() => {
    i18n.lang = 'en';
  });

  it('words settings, channel, auto-update and MachineDeployment entries in German', () => {
    i18n.lang = 'de';
    expect(worded(entry('settings-changed', { fields: 'language' }, 'Settings changed: language'))).toBe('Einstellungen geändert: language');
    expect(worded(entry('channel-set', { channel: 'beta', nodes: 'worker-1, worker-2' }, 'Channel beta set on worker-1, worker-2'))).toBe('Kanal beta gesetzt auf worker-1, worker-2');
    expect(worded(entry('auto-update', { enable: false, done: 4, failed: 1, unreachable: 'worker-3' }, 'Auto-update off for demo: …'))).toBe(
      'Automatische Updates aus: 4 Änderung(en) erledigt, 1 fehlgeschlagen, nicht erreichbar: worker-3',
    );
    expect(worded(entry('machine-deployment', { name: 'kube-system/legacy', edit: 'migrate', count: 3 }, 'MachineDeployment kube-system/legacy migrated …'))).toBe(
      'MachineDeployment kube-system/legacy zu Flatcar migriert: 3 Knoten werden nacheinander ersetzt',
    );
  });

  it('gives a step duration as a number, for the view to format in its locale', () => {
    const w = activityWording(entry('step-succeeded', { step: 'preflight', durationMs: 234 }, 'preflight succeeded (0.2 s)'));
    expect(w?.vars.seconds).toBe(0.2);
    expect((w?.vars.seconds as number).toLocaleString('de-DE')).toBe('0,2');
  });

  it('keeps the English text for an entry without the params its wording needs', () => {
    i18n.lang = 'de';
    expect(worded(entry('settings-changed', {}, 'Settings changed: language'))).toBeNull();
  });
});
