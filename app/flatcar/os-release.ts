import { command, type Command } from './command.ts';
import { parseEnvFile } from './env-file.ts';
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
