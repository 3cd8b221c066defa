import type { ApiErrorInfo, AttentionNote, StatusWarning, StepEvent } from '../../../../app/api/index.ts';
import { de } from './de.ts';
import { en } from './en.ts';
import type { MessageKey } from './en.ts';
import { worded } from '../model/wording.ts';
import { translate } from './translate.ts';
import type { Vars } from './translate.ts';

export type Lang = 'en' | 'de';
export type { MessageKey };
/** Messages with a count: `<base>.one`, `<base>.other` (and any other CLDR category a language needs). */
export type PluralKey = MessageKey extends infer K ? (K extends `${infer Base}.other` ? Base : never) : never;

const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, de };

class I18n {
  lang = $state<Lang>('en');
  /** BCP 47 tag for Intl formatting of numbers, dates and times. */
  locale = $derived(this.lang === 'de' ? 'de-DE' : 'en-GB');
  #plurals = $derived(new Intl.PluralRules(this.locale));

  t = (key: MessageKey, vars?: Vars): string => translate(dictionaries[this.lang], key, vars);

  /** The form of `base` for `count` in the UI language (Intl.PluralRules); `{count}` is filled in, localised. */
  tn = (base: PluralKey, count: number, vars?: Vars): string => {
    const dict = dictionaries[this.lang] as Record<string, string>;
    const form = `${base}.${this.#plurals.select(count)}`;
    return translate(dict, form in dict ? form : `${base}.other`, { ...vars, count: count.toLocaleString(this.locale) });
  };

  /**
   * A core message in the UI language from its code (`key`) and parameters, when a message for it exists and
   * every value it needs is there; otherwise null, and the caller shows the core's English text.
   */
  tc = (key: string, values: Record<string, string | number | boolean | null | undefined>): string | null => {
    const dict = dictionaries[this.lang] as Record<string, string>;
    const { count } = values;
    // a message with a count has one key per plural form (`<key>.one`, `<key>.other`), chosen like tn does
    if (!(key in dict) && typeof count === 'number') {
      const form = `${key}.${this.#plurals.select(count)}`;
      return worded(dict, form in dict ? form : `${key}.other`, { ...values, count: count.toLocaleString(this.locale) }, (k, vars) => translate(dict, k, vars));
    }
    return worded(dict, key, values, (k, vars) => translate(dict, k, vars));
  };

  /** A pipeline step message in the UI language from its code, or the core's English text when it has none. */
  step = (ev: Pick<StepEvent, 'code' | 'params' | 'message'>): string => {
    if (ev.code === 'attention') {
      // `params.note` is the attention note's own code, worded like the run panel words it
      const text = typeof ev.params.note === 'string' ? this.tc(`attnNote.${ev.params.note}`, ev.params) : null;
      return (text === null ? null : this.tc('stepMsg.attention', { node: ev.params.node, text })) ?? ev.message;
    }
    return (ev.code ? this.tc(`stepMsg.${ev.code}`, ev.params) : null) ?? ev.message;
  };

  /** An error in the UI language, by its code, else by its kind; null when neither is worded (show `message`). */
  error = (e: ApiErrorInfo): string | null => (e.code ? this.tc(`errorMsg.${e.code}`, { ...e.facts, ...e.params }) : null) ?? this.tc(`errorText.${e.kind}`, e.facts);

  /** A step event in the UI language: its error when it failed with one, else its message. */
  event = (ev: StepEvent): string => (ev.error ? (this.error(ev.error) ?? ev.error.message) : this.step(ev));

  /** What a node needs from the operator, in the UI language (or the core's English text). */
  note = (n: AttentionNote): string => this.tc(`attnNote.${n.code}`, n.params) ?? n.message;

  /** An auto-update status warning in the UI language (or the core's English text). */
  warning = (w: StatusWarning): string => this.tc(`autoWarning.${w.code}`, w.params) ?? w.message;

  /** For keys built from data (e.g. `state.${key}`): falls back to the raw value when no message exists. */
  tx = (key: string, fallback: string, vars?: Vars): string => {
    const dict = dictionaries[this.lang] as Record<string, string>;
    return key in dict ? translate(dict, key, vars) : fallback;
  };
}

export const i18n = new I18n();
export const t = i18n.t;
export const tn = i18n.tn;
export const tx = i18n.tx;
export const tc = i18n.tc;
export const stepText = i18n.step;
export const errorText = i18n.error;
export const eventText = i18n.event;
export const noteText = i18n.note;
export const warningText = i18n.warning;
