export type Vars = Record<string, string | number>;

/** Fills `{name}` placeholders; a missing variable stays visible as `{name}` rather than vanishing. */
export function translate(dict: Record<string, string>, key: string, vars?: Vars): string {
  const template = dict[key] ?? key;
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The placeholder names a message uses, so a test can check both languages ask for the same facts. */
export function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}
