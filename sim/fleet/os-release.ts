// /etc/os-release as Flatcar ships it, in the two formats seen in the field: older releases with unquoted
// values and a codename in PRETTY_NAME, current ones with every value double-quoted, no codename, and a
// SUPPORT_URL whose value holds a `#` (flatcar/scripts build_library/set_lsb_release, main since 2026-03).
import { branchCutDate, buildIdOf, channelOf, usesQuotedOsRelease } from './versions.ts';

const OS_NAME = 'Flatcar Container Linux by Kinvolk';
const BOARD = 'amd64-usr';

function codenameOf(version: string): string {
  return channelOf(version) === 'lts' ? `LTS ${branchCutDate(version).getUTCFullYear()}` : 'Oklo';
}

export function prettyNameOf(version: string): string {
  return usesQuotedOsRelease(version) ? `${OS_NAME} ${version}` : `${OS_NAME} ${version} (${codenameOf(version)})`;
}

function cpeName(version: string): string {
  return `cpe:2.3:o:flatcar-linux:flatcar_linux:${version}:*:*:*:*:*:*:*`;
}

// [key, value, quoted in the old format]; the current format quotes every value.
type OsReleaseField = readonly [key: string, value: string, quotedInOldFormat: boolean];

function osReleaseFields(version: string, quotedFormat: boolean): OsReleaseField[] {
  return [
    ['NAME', OS_NAME, true],
    ['ID', 'flatcar', false],
    ['ID_LIKE', 'coreos', false],
    ['VERSION', version, false],
    ['VERSION_ID', version, false],
    ['BUILD_ID', buildIdOf(version), false],
    ['SYSEXT_LEVEL', '1.0', false],
    ['PRETTY_NAME', prettyNameOf(version), true],
    ['ANSI_COLOR', '38;5;75', true],
    ['HOME_URL', quotedFormat ? 'https://flatcar.org' : 'https://flatcar.org/', true],
    ['BUG_REPORT_URL', 'https://issues.flatcar.org', true],
    ...(quotedFormat ? [['SUPPORT_URL', 'https://groups.google.com/forum/#!forum/flatcar-linux-user', true] as const] : []),
    ['FLATCAR_BOARD', BOARD, true],
    ['CPE_NAME', cpeName(version), true],
  ];
}

export function renderOsRelease(version: string): string {
  const quotedFormat = usesQuotedOsRelease(version);
  return osReleaseFields(version, quotedFormat)
    .map(([key, value, quotedInOld]) => (quotedFormat || quotedInOld ? `${key}="${value}"\n` : `${key}=${value}\n`))
    .join('');
}

/** /usr/share/flatcar/update.conf: the image defaults; /etc/flatcar/update.conf overrides GROUP. */
export function renderDefaultUpdateConf(channel: string): string {
  return `SERVER=https://public.update.flatcar-linux.net/v1/update/\nGROUP=${channel}\n`;
}

export function renderReleaseFile(version: string): string {
  return `FLATCAR_RELEASE_VERSION=${version}\nFLATCAR_RELEASE_BOARD=${BOARD}\nFLATCAR_RELEASE_APPID={e96281a6-d1af-4bde-9a0a-97b76e56dc57}\n`;
}

// flatcar/scripts 4aacfc5b (2026-05-19) dropped the /usr/lib64/os-release compatibility link from the image.
const LIB64_OS_RELEASE_DROPPED = Date.UTC(2026, 4, 19);

export function hasLib64OsRelease(version: string): boolean {
  return branchCutDate(version).getTime() < LIB64_OS_RELEASE_DROPPED;
}
