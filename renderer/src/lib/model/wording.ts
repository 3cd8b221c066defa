import { placeholders } from '../i18n/translate.ts';

type Value = string | number | boolean | null | undefined;

/**
 * A core message worded in the UI language from its code and parameters: the message `key` when it exists and
 * every value it names is known, else null (the caller then shows the core's own, English, text).
 */
export function worded(dict: Record<string, string>, key: string, values: Record<string, Value>, translate: (key: string, vars: Record<string, string | number>) => string): string | null {
  const template = dict[key];
  if (template === undefined) return null;
  const vars: Record<string, string | number> = {};
  for (const name of placeholders(template)) {
    const v = values[name];
    if (v === null || v === undefined || v === '') return null;
    vars[name] = typeof v === 'boolean' ? String(v) : v;
  }
  return translate(key, vars);
}
