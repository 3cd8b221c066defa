import { command, type Command } from './command.ts';
import { parseFailure } from './errors.ts';

const OS_RELEASE = '/etc/os-release';

export const readOsRelease = (): Command => command(['cat', OS_RELEASE]);
/** The first step of the manual procedure: prints only the `VERSION_ID=` line. */
export const grepVersionId = (): Command => command(['grep', 'VERSION_ID', OS_RELEASE]);

export interface OsRelease {
  id?: string;            // `flatcar`
  name?: string;
  versionId: string;      // `3033.2.0`
  version?: string;
  prettyName?: string;    // what Kubernetes shows as osImage
  buildId?: string;
  board?: string;         // FLATCAR_BOARD
  fields: Readonly<Record<string, string>>;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
/** Inside double quotes only these lose their backslash (systemd SHELL_NEED_ESCAPE); any other keeps it. */
const DOUBLE_QUOTE_ESCAPABLE = new Set(['"', '\\', '`', '$']);
const VALID_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

type State = 'pre-key' | 'key' | 'pre-value' | 'value' | 'value-escape' | 'single' | 'double' | 'double-escape' | 'comment' | 'comment-escape';

/**
 * The file as systemd reads it (src/basic/env-file.c, what os-release(5) points to): `#`/`;` start a comment only
 * where a key could start; blanks around the key and before the value are dropped; a value is any run of
 * unquoted (backslash escapes the next character, trailing blanks dropped), '…' and "…" parts, so a `#` inside a
 * value is part of it (`SUPPORT_URL="…/forum/#!forum/…"`); a quote left open runs on to the next lines; keys
 * that are not shell names are ignored; the last assignment of a key wins.
 */
function parseEnvFile(text: string): Record<string, string> {
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
        state = 'comment';
        break;
    }
  }
  if (state === 'value' || state === 'value-escape') value = value.slice(0, valueEnd);
  if (!['pre-key', 'key', 'comment', 'comment-escape'].includes(state)) push();
  return fields;
}

const NAMED_FIELDS = [
  ['ID', 'id'], ['NAME', 'name'], ['VERSION', 'version'], ['PRETTY_NAME', 'prettyName'],
  ['BUILD_ID', 'buildId'], ['FLATCAR_BOARD', 'board'],
] as const;

/** Parses the whole file (old unquoted and new quoted formats) or just `grep VERSION_ID` output. */
export function parseOsRelease(text: string): OsRelease {
  const fields = parseEnvFile(text);
  const versionId = fields.VERSION_ID;
  if (versionId === undefined || versionId === '') {
    throw parseFailure('/etc/os-release', 'no VERSION_ID line');
  }
  const result: OsRelease = { versionId, fields: Object.freeze(fields) };
  for (const [key, prop] of NAMED_FIELDS) {
    const value = fields[key];
    if (value !== undefined) result[prop] = value;
  }
  return result;
}
