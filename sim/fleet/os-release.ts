// /etc/os-release as Flatcar ships it, in the two formats seen in the field: older releases with unquoted
// values and a codename in PRETTY_NAME, current ones with every value double-quoted and no codename.
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

export function renderOsRelease(version: string): string {
  const buildId = buildIdOf(version);
  const pretty = prettyNameOf(version);
  if (usesQuotedOsRelease(version)) {
    return [
      `NAME="${OS_NAME}"`,
      'ID="flatcar"',
      'ID_LIKE="coreos"',
      `VERSION="${version}"`,
      `VERSION_ID="${version}"`,
      `BUILD_ID="${buildId}"`,
      'SYSEXT_LEVEL="1.0"',
      `PRETTY_NAME="${pretty}"`,
      'ANSI_COLOR="38;5;75"',
      'HOME_URL="https://flatcar.org"',
      'BUG_REPORT_URL="https://issues.flatcar.org"',
      `FLATCAR_BOARD="${BOARD}"`,
      `CPE_NAME="${cpeName(version)}"`,
      '',
    ].join('\n');
  }
  return [
    `NAME="${OS_NAME}"`,
    'ID=flatcar',
    'ID_LIKE=coreos',
    `VERSION=${version}`,
    `VERSION_ID=${version}`,
    `BUILD_ID=${buildId}`,
    'SYSEXT_LEVEL=1.0',
    `PRETTY_NAME="${pretty}"`,
    'ANSI_COLOR="38;5;75"',
    'HOME_URL="https://flatcar.org/"',
    'BUG_REPORT_URL="https://issues.flatcar.org"',
    `FLATCAR_BOARD="${BOARD}"`,
    `CPE_NAME="${cpeName(version)}"`,
    '',
  ].join('\n');
}

/** /usr/share/flatcar/update.conf: the image defaults; /etc/flatcar/update.conf overrides GROUP. */
export function renderDefaultUpdateConf(channel: string): string {
  return `SERVER=https://public.update.flatcar-linux.net/v1/update/\nGROUP=${channel}\n`;
}

export function renderReleaseFile(version: string): string {
  return `FLATCAR_RELEASE_VERSION=${version}\nFLATCAR_RELEASE_BOARD=${BOARD}\nFLATCAR_RELEASE_APPID={e96281a6-d1af-4bde-9a0a-97b76e56dc57}\n`;
}
