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

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
/** Inside double quotes only these are escaped with a backslash (os-release(5): shell style). */
const DOUBLE_QUOTE_ESCAPABLE = new Set(['$', '"', '\\', '`', '\n']);

/**
 * Shell-style value: a run of unquoted, '…' and "…" segments. Returns undefined for broken quoting; such lines
 * are skipped like systemd's own parser does.
 */
function unquoteValue(raw: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= raw.length) return undefined;
        const d = raw[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < raw.length && DOUBLE_QUOTE_ESCAPABLE.has(raw[i + 1]!)) {
          out += raw[i + 1];
          i += 2;
        } else {
          out += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 >= raw.length) return undefined;
      out += raw[i + 1];
      i += 2;
    } else if (c === ' ' || c === '\t') {
      // A blank ends the value; anything but a comment after it is not a plain assignment.
      const rest = raw.slice(i).trim();
      return rest === '' || rest.startsWith('#') ? out : undefined;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const NAMED_FIELDS = [
  ['ID', 'id'], ['NAME', 'name'], ['VERSION', 'version'], ['PRETTY_NAME', 'prettyName'],
  ['BUILD_ID', 'buildId'], ['FLATCAR_BOARD', 'board'],
] as const;

/** Parses the whole file (old unquoted and new quoted formats) or just `grep VERSION_ID` output. */
export function parseOsRelease(text: string): OsRelease {
  const fields: Record<string, string> = Object.create(null);
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = ASSIGNMENT.exec(trimmed);
    if (!m) continue;
    const value = unquoteValue(m[2]!);
    if (value !== undefined) fields[m[1]!] = value; // sourced like a shell file: the last one wins
  }
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
