// The agent's node info labels: ID and VERSION from /etc/os-release, GROUP from /usr/share/flatcar/update.conf
// overridden by /etc/flatcar/update.conf (pkg/agent/agent.go getVersionInfo and splitNewlineEnv).
import type { FluoHost } from './host.ts';

export interface VersionInfo {
  id: string;
  group: string;
  version: string;
}

const QUOTES = new Set(['"', "'"]);

/** Go strings.Trim(value, "\"'"): every leading and trailing quote character. */
function trimQuotes(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && QUOTES.has(value[start] as string)) start++;
  while (end > start && QUOTES.has(value[end - 1] as string)) end--;
  return value.slice(start, end);
}

/** KEY=VALUE lines split at the first `=`; lines without one are skipped; later lines win. */
export function splitNewlineEnv(into: Map<string, string>, text: string): void {
  for (const line of text.split('\n').map((l) => l.replace(/\r$/, ''))) {
    const at = line.indexOf('=');
    if (at < 0) continue;
    into.set(line.slice(0, at), trimQuotes(line.slice(at + 1)));
  }
}

const UPDATE_CONF = '/usr/share/flatcar/update.conf';
const UPDATE_CONF_OVERRIDE = '/etc/flatcar/update.conf';
const OS_RELEASE = '/etc/os-release';

export function readVersionInfo(host: FluoHost): VersionInfo {
  const update = new Map<string, string>();
  const defaults = host.readHostFile(UPDATE_CONF);
  if (defaults === null) throw new Error(`getting update configuration: reading file "${UPDATE_CONF}": open ${UPDATE_CONF}: no such file or directory`);
  splitNewlineEnv(update, defaults);
  splitNewlineEnv(update, host.readHostFile(UPDATE_CONF_OVERRIDE) ?? '');
  const release = new Map<string, string>();
  const osRelease = host.readHostFile(OS_RELEASE);
  if (osRelease === null) throw new Error(`getting OS release info: reading file "${OS_RELEASE}": open ${OS_RELEASE}: no such file or directory`);
  splitNewlineEnv(release, osRelease);
  return { id: release.get('ID') ?? '', group: update.get('GROUP') ?? '', version: release.get('VERSION') ?? '' };
}
