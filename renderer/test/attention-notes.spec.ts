import { afterEach, describe, expect, it } from 'vitest';
import { StepEvent, attentionCodes, blockerCodes, errorMessageCodes, planNoteCodes, preflightPlanCodes, statusWarningCodes, waitingCodes } from '../../app/api/index.ts';
import { de } from '../src/lib/i18n/de.ts';
import { en } from '../src/lib/i18n/en.ts';
import { errorText, eventText, i18n, noteText, stepText, warningText } from '../src/lib/i18n/index.svelte.ts';
import { placeholders } from '../src/lib/i18n/translate.ts';

/** The key(s) of a code: one key, or one per plural form when the message counts something. */
const keysOf = (dict: Record<string, string>, key: string) => Object.keys(dict).filter((k) => k === key || /^(.*)\.(zero|one|two|few|many|other)$/.exec(k)?.[1] === key);

describe('codes the core sends for what a node needs, why it stopped, pre-flight findings and auto-update warnings', () => {
  afterEach(() => {
    i18n.lang = 'en';
  });

  it('every code has an English and a German wording asking for the same values', () => {
    const families: Array<[string, readonly string[]]> = [
      ['attnNote', attentionCodes],
      ['errorMsg', errorMessageCodes],
      ['autoWarning', statusWarningCodes],
      ['blockerCode', blockerCodes],
      ['preflightPlan', preflightPlanCodes],
      ['planNote', planNoteCodes],
      ['waiting', waitingCodes],
    ];
    for (const [prefix, codes] of families) {
      for (const code of codes) {
        const inEn = keysOf(en, `${prefix}.${code}`);
        expect(inEn, `English wording of ${prefix}.${code}`).not.toEqual([]);
        expect(keysOf(de, `${prefix}.${code}`), `German wording of ${prefix}.${code}`).toEqual(inEn);
        for (const key of inEn) expect(placeholders((de as Record<string, string>)[key] ?? ''), key).toEqual(placeholders((en as Record<string, string>)[key] ?? ''));
      }
    }
  });

  it('words a skipped node, a staged one and a pre-flight failure in German, counting by plural rules', () => {
    i18n.lang = 'de';
    expect(errorText({ kind: 'cancelled', message: 'The run stopped at a pre-flight failure before this node', facts: {}, code: 'run.stoppedAtPreflight' })).toBe(
      'Der Lauf hat vor diesem Knoten bei einem Fehler der Vorabprüfung angehalten.',
    );
    const preflight = (count: number) => errorText({ kind: 'drain-blocked', message: 'Pre-flight failed for worker-2: …', facts: { node: 'worker-2', pod: 'shop/cart-0', pdb: null, blockers: count }, code: 'preflight.blocked', params: { count, blocker: 'unmanaged-pod' } });
    expect(preflight(1)).toBe('Die Vorabprüfung hat das Update von worker-2 gestoppt, bevor sich etwas geändert hat: 1 Hindernis, Pod shop/cart-0.');
    expect(preflight(3)).toBe('Die Vorabprüfung hat das Update von worker-2 gestoppt, bevor sich etwas geändert hat: 3 Hindernisse; das erste ist Pod shop/cart-0.');
    expect(noteText({ code: 'staged.stopped', params: { node: 'worker-3', version: '4459.2.1' }, message: 'boots 4459.2.1 at its next reboot: …' })).toMatch(
      /^startet beim nächsten Neustart 4459\.2\.1: das Update ist bereitgestellt \(der Lauf hat vor dem Neustart angehalten\);.* Aktualisieren Sie worker-3 erneut/,
    );
    expect(noteText({ code: 'rebootCancelled', params: { node: 'worker-1', runId: 'r-7' }, message: 'cancelled while it rebooted; …' })).toBe(
      'während des Neustarts abgebrochen; er bleibt gesperrt (cordon), bis `flatdeck resume r-7` ihn wieder sieht',
    );
  });

  it('a needs-attention step event is worded from its note, and falls back to English where a value is missing', () => {
    const ev = (params: StepEvent['params']) =>
      StepEvent.parse({ runId: 'r1', cluster: 'c', node: 'worker-1', step: 'drain', status: 'failed', at: '2026-12-04T20:00:00Z', message: 'worker-1 needs attention: the drain of worker-1 …', code: 'attention', params });
    i18n.lang = 'de';
    expect(stepText(ev({ node: 'worker-1', note: 'drainTimeout', seconds: 60, pod: 'shop/db-0', reason: 'x' }))).toBe(
      'worker-1 braucht Aufmerksamkeit: das Räumen von worker-1 wurde nicht innerhalb von 60 s fertig; noch da: shop/db-0; er bleibt gesperrt (cordon) und wurde nicht neu gestartet',
    );
    expect(stepText(ev({ node: 'worker-1', note: 'drainTimeout', seconds: null }))).toBe('worker-1 needs attention: the drain of worker-1 …');
    const failed = StepEvent.parse({
      ...ev({}),
      code: null,
      message: 'Pre-flight failed for worker-2: …',
      error: { kind: 'drain-blocked', message: 'Pre-flight failed for worker-2: …', facts: { node: 'worker-2', pod: 'shop/x', pdb: null, blockers: 2 }, code: 'preflight.blocked', params: { count: 2 } },
    });
    expect(eventText(failed), 'a failed step (the progression) is worded from its error').toBe('Die Vorabprüfung hat das Update von worker-2 gestoppt, bevor sich etwas geändert hat: 2 Hindernisse; das erste ist Pod shop/x.');
  });

  it("words FLUO's held-by warning in German", () => {
    i18n.lang = 'de';
    expect(warningText({ code: 'fluoHeldBy', params: { nodes: 'worker-1 (by laptop-7/abc)', key: 'flatdeck.io/fluo-held-by' }, message: "flatdeck has paused FLUO's reboots …" })).toMatch(
      /^flatdeck hat FLUOs Neustarts auf worker-1 \(by laptop-7\/abc\) angehalten \(flatdeck\.io\/fluo-held-by\)/,
    );
  });
});
