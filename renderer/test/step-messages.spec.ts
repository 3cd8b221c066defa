import { afterEach, describe, expect, it } from 'vitest';
import { PlanChange, StepEvent, StepMessageCode, planChangeCodes } from '../../app/api/index.ts';
import { de } from '../src/lib/i18n/de.ts';
import { en } from '../src/lib/i18n/en.ts';
import { i18n, stepText, tc } from '../src/lib/i18n/index.svelte.ts';
import { placeholders } from '../src/lib/i18n/translate.ts';

/** The message key(s) of a code: one key, or one per plural form when the message counts something. */
function wordings(dict: Record<string, string>, code: string): string[] {
  const key = `stepMsg.${code}`;
  return Object.keys(dict).filter((k) => k === key || k.startsWith(`${key}.`));
}

function event(code: StepMessageCode, params: StepEvent['params'], message: string) {
  return StepEvent.parse({ runId: 'r1', cluster: 'c', node: 'worker-1', step: 'drain', status: 'succeeded', at: '2026-12-04T20:00:00Z', message, code, params });
}

describe('step messages by code', () => {
  afterEach(() => {
    i18n.lang = 'en';
  });

  it('every code the api schema lets the core send has an English and a German wording with the same placeholders', () => {
    expect(StepMessageCode.options.length).toBeGreaterThan(30);
    for (const code of StepMessageCode.options) {
      const inEn = wordings(en, code);
      expect(inEn, `English wording of ${code}`).not.toEqual([]);
      expect(wordings(de, code), `German wording of ${code}`).toEqual(inEn);
      for (const key of inEn) expect(placeholders((de as Record<string, string>)[key] ?? ''), key).toEqual(placeholders((en as Record<string, string>)[key] ?? ''));
    }
  });

  it('no dictionary words a step code the api does not know', () => {
    const known = new Set<string>(StepMessageCode.options);
    const stray = Object.keys(en)
      .filter((k) => k.startsWith('stepMsg.'))
      .map((k) => k.slice('stepMsg.'.length).replace(/\.(zero|one|two|few|many|other)$/, ''))
      .filter((code) => !known.has(code));
    expect(stray).toEqual([]);
  });

  it('words the step progression of one update in German', () => {
    i18n.lang = 'de';
    expect(stepText(event('lock.waiting', { node: 'worker-1' }, 'Waiting for the cluster update lock for worker-1'))).toBe('Warte auf die Update-Sperre des Clusters für worker-1');
    expect(stepText(event('update.downloading', { version: '4459.2.1', percent: 42 }, 'Downloading 4459.2.1: 42%'))).toBe('Lade 4459.2.1 herunter: 42 %');
    expect(stepText(event('update.stalledDownloading', { percent: 42, seconds: 60, left: 240 }, 'Still downloading at 42%: …'))).toBe(
      'Download weiterhin bei 42 %: seit 60 s kein Fortschritt (Abbruch nach weiteren 240 s)',
    );
    expect(stepText(event('drain.done', { node: 'worker-1' }, 'worker-1 drained'))).toBe('worker-1 geräumt (drain)');
    expect(stepText(event('reboot.issued', { node: 'worker-1', bootId: 'b-0' }, 'worker-1: reboot issued (boot b-0)'))).toBe('worker-1: Neustart ausgelöst (Boot b-0)');
    expect(stepText(event('verify.back', { node: 'worker-1', version: '4459.2.1' }, 'worker-1 is back on 4459.2.1, Ready'))).toBe('worker-1 ist wieder da, auf 4459.2.1, Ready');
  });

  it('counts pods to move with the plural form of each language', () => {
    const ready = (count: number) => event('preflight.ready', { node: 'worker-1', version: '4230.2.4', count }, `worker-1 is ready for the update (on 4230.2.4, ${count} pods to move)`);
    expect(stepText(ready(1))).toBe('worker-1 is ready for the update (on 4230.2.4, 1 pod to move)');
    expect(stepText(ready(3))).toBe('worker-1 is ready for the update (on 4230.2.4, 3 pods to move)');
    i18n.lang = 'de';
    expect(stepText(ready(1))).toBe('worker-1 ist bereit für das Update (auf 4230.2.4, 1 Pod wird verschoben)');
    expect(stepText(ready(1200))).toBe('worker-1 ist bereit für das Update (auf 4230.2.4, 1.200 Pods werden verschoben)');
  });

  it("shows the core's English text when a message has no code or lacks a value its wording needs", () => {
    i18n.lang = 'de';
    expect(stepText(StepEvent.parse({ runId: 'r1', cluster: 'c', node: 'worker-1', step: 'update', status: 'progress', at: '2026-12-04T20:00:00Z', message: 'UPDATE_STATUS_FINALIZING' }))).toBe('UPDATE_STATUS_FINALIZING');
    expect(stepText(event('verify.back', { node: 'worker-1', version: null }, 'worker-1 is back on null, Ready'))).toBe('worker-1 is back on null, Ready');
  });
});

describe('auto-update plan lines by code', () => {
  afterEach(() => {
    i18n.lang = 'en';
  });

  it('every plan code the api schema allows has an English and a German wording with the same placeholders', () => {
    for (const code of planChangeCodes) {
      const key = `planChange.${code}`;
      expect(key in en, `English wording of ${code}`).toBe(true);
      expect(placeholders((de as Record<string, string>)[key] ?? ''), key).toEqual(placeholders((en as Record<string, string>)[key] ?? ''));
    }
  });

  it('words a reboot window and a pause in German', () => {
    i18n.lang = 'de';
    const apply = PlanChange.parse({ target: 'cluster', node: null, action: 'apply FLUO v1 …', code: 'fluo-apply-window', params: { version: 'v1', start: 'Sat 02:00', length: '2h' } });
    expect(tc(`planChange.${apply.code}`, apply.params)).toBe('FLUO v1 anwenden (server-side apply, Feldverwalter flatdeck) mit Neustartfenster Sat 02:00 für 2h');
    expect(tc('planChange.pause-reboots', {})).toBe('Annotation reboot-paused=true setzen');
  });
});
