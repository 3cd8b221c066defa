// KEY=value files as systemd reads them; the one parser for os-release and for what locksmithd.service loads.
const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
/** Inside double quotes only these lose their backslash (systemd SHELL_NEED_ESCAPE); any other keeps it. */
const DOUBLE_QUOTE_ESCAPABLE = new Set(['"', '\\', '`', '$']);
const VALID_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

type State = 'pre-key' | 'key' | 'pre-value' | 'value' | 'value-escape' | 'single' | 'double' | 'double-escape' | 'comment' | 'comment-escape';

/**
 * A file as systemd reads it (src/basic/env-file.c: os-release(5), and EnvironmentFile= such as the update.conf
 * locksmithd.service loads): `#`/`;` start a comment only where a key could start; blanks around the key and
 * before the value are dropped; a value is any run of unquoted (backslash escapes the next character, trailing
 * blanks dropped), '…' and "…" parts, so a `#` inside a value is part of it (`SUPPORT_URL="…/forum/#!forum/…"`);
 * a quote left open runs on to the next lines; keys that are not shell names are ignored; the last assignment of
 * a key wins.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null);
  let state: State = 'pre-key';
  let key = '';
  let value = '';
  let valueEnd = 0;
  const push = () => {
    const name = key.trimEnd();
    if (VALID_KEY.test(name)) fields[name] = value;
    [key, value, valueEnd] = ['', '', 0];
  };
  const keep = (c: string) => {
    value += c;
    valueEnd = value.length;
  };
  for (const c of text) {
    switch (state) {
      case 'pre-key':
        if (c === '#' || c === ';') state = 'comment';
        else if (!WHITESPACE.has(c)) [state, key] = ['key', c];
        break;
      case 'key':
        if (c === '\n') [state, key] = ['pre-key', ''];
        else if (c === '=') state = 'pre-value';
        else key += c;
        break;
      case 'pre-value':
        if (c === '\n') {
          push();
          state = 'pre-key';
        } else if (c === "'") state = 'single';
        else if (c === '"') state = 'double';
        else if (c === '\\') state = 'value-escape';
        else if (!WHITESPACE.has(c)) {
          keep(c);
          state = 'value';
        }
        break;
      case 'value':
        if (c === '\n') {
          value = value.slice(0, valueEnd);
          push();
          state = 'pre-key';
        } else if (c === '\\') state = 'value-escape';
        else if (WHITESPACE.has(c)) value += c;
        else keep(c);
        break;
      case 'value-escape':
        if (c !== '\n') keep(c);
        state = 'value';
        break;
      case 'single':
        if (c === "'") [state, valueEnd] = ['pre-value', value.length];
        else value += c;
        break;
      case 'double':
        if (c === '"') [state, valueEnd] = ['pre-value', value.length];
        else if (c === '\\') state = 'double-escape';
        else value += c;
        break;
      case 'double-escape':
        if (DOUBLE_QUOTE_ESCAPABLE.has(c)) value += c;
        else if (c !== '\n') value += `\\${c}`;
        state = 'double';
        break;
      case 'comment':
        if (c === '\\') state = 'comment-escape';
        else if (c === '\n') state = 'pre-key';
        break;
      case 'comment-escape':
        // since systemd v254 a backslash at the end of a comment no longer continues it
        state = c === '\n' ? 'pre-key' : 'comment';
        break;
    }
  }
  if (state === 'value' || state === 'value-escape') value = value.slice(0, valueEnd);
  if (!['pre-key', 'key', 'comment', 'comment-escape'].includes(state)) push();
  return fields;
}
