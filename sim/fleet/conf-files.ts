// The two readers of /etc/flatcar/update.conf on a node, which disagree on the same text:
// - update_engine (simple_key_value_store.cc): split at the first `=`, no trimming, no comments, the last
//   occurrence wins, and surrounding quotes are stripped only since update_engine db448f9 (2023-10-12);
// - systemd's EnvironmentFile= (src/basic/env-file.c), which locksmithd.service uses: `#`/`;` comments,
//   whitespace around the key and `=` dropped, single/double quotes and backslash escapes, later lines win.
import { branchCutDate } from './versions.ts';

export const UPDATE_CONF = '/etc/flatcar/update.conf';
export const VENDOR_UPDATE_CONF = '/usr/share/flatcar/update.conf';
export const RELEASE_FILE = '/usr/share/flatcar/release';

// update_engine db448f9 "kv-store: support quoted values"; releases branched before it read quotes literally.
const QUOTE_STRIPPING_SINCE = Date.UTC(2023, 9, 12);

export function stripsQuotes(version: string): boolean {
  return branchCutDate(version).getTime() >= QUOTE_STRIPPING_SINCE;
}

export function parseKeyValueStore(text: string, version: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    let value = line.slice(eq + 1);
    const quote = value[0];
    if (stripsQuotes(version) && value.length >= 2 && (quote === '"' || quote === "'") && value.endsWith(quote)) value = value.slice(1, -1);
    values.set(line.slice(0, eq), value);
  }
  return values;
}

/** omaha_request_params.cc GetConfValue: the first file (in lookup order) that has the key answers. */
export function confValue(files: readonly (string | null)[], key: string, version: string): string | undefined {
  for (const text of files) {
    if (text === null) continue;
    const value = parseKeyValueStore(text, version).get(key);
    if (value !== undefined) return value;
  }
  return undefined;
}

const WHITESPACE = new Set([' ', '\t', '\r']);
const VALID_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Characters that a backslash unescapes inside double quotes (SHELL_NEED_ESCAPE).
const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '`', '$']);

type EnvState = 'pre-key' | 'key' | 'pre-value' | 'value' | 'value-escape' | 'single' | 'double' | 'double-escape' | 'comment';

/** Parses one EnvironmentFile into `into` (later assignments replace earlier ones, also across files). */
export function parseEnvironmentFile(text: string, into: Map<string, string> = new Map()): Map<string, string> {
  let state: EnvState = 'pre-key';
  let key = '';
  let value = '';
  // the unquoted value's length before its trailing whitespace
  let valueEnd = 0;
  const push = () => {
    const name = key.trimEnd();
    if (VALID_KEY.test(name)) into.set(name, value);
    key = '';
    value = '';
    valueEnd = 0;
  };
  for (const c of text) {
    switch (state) {
      case 'pre-key':
        if (c === '#' || c === ';') state = 'comment';
        else if (c !== '\n' && !WHITESPACE.has(c)) [state, key] = ['key', c];
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
          value += c;
          valueEnd = value.length;
          state = 'value';
        }
        break;
      case 'value':
        if (c === '\n') {
          value = value.slice(0, valueEnd);
          push();
          state = 'pre-key';
        } else if (c === '\\') state = 'value-escape';
        else {
          value += c;
          if (!WHITESPACE.has(c)) valueEnd = value.length;
        }
        break;
      case 'value-escape':
        if (c !== '\n') {
          value += c;
          valueEnd = value.length;
        }
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
        if (DOUBLE_QUOTE_ESCAPES.has(c)) value += c;
        else if (c !== '\n') value += `\\${c}`;
        state = 'double';
        break;
      case 'comment':
        if (c === '\n') state = 'pre-key';
        break;
    }
  }
  if (state === 'value') value = value.slice(0, valueEnd);
  if (state !== 'pre-key' && state !== 'key' && state !== 'comment') push();
  return into;
}
