import { command, type Command } from './command.ts';
import { parseEnvFile } from './env-file.ts';

/** Per key, the first file that sets it wins, in this order (omaha_request_params.cc GetConfValue). */
export const UPDATE_CONF_PATHS = {
  etc: '/etc/flatcar/update.conf',
  usr: '/usr/share/flatcar/update.conf',
} as const;
export type UpdateConfLocation = keyof typeof UPDATE_CONF_PATHS;

export const readUpdateConf = (where: UpdateConfLocation): Command => command(['cat', UPDATE_CONF_PATHS[where]]);

export interface UpdateConf {
  group?: string;            // channel: alpha, beta, stable, lts, lts-2022…
  server?: string;           // `disabled` (any value that is not an http(s) URL) stops downloads
  rebootStrategy?: string;   // locksmithd: reboot, etcd-lock, off
  rebootWindowStart?: string;
  rebootWindowLength?: string;
  /** Every key as update_engine reads it. */
  fields: Readonly<Record<string, string>>;
  /** Every key as systemd hands it to locksmithd. */
  environment: Readonly<Record<string, string>>;
}

/** update_engine's keys. */
const NAMED = [['GROUP', 'group'], ['SERVER', 'server']] as const;
/** locksmithd's keys: it gets them from systemd, which loads the files as EnvironmentFile= (locksmithd.service). */
const LOCKSMITHD_NAMED = [
  ['REBOOT_STRATEGY', 'rebootStrategy'], ['LOCKSMITHD_REBOOT_WINDOW_START', 'rebootWindowStart'], ['LOCKSMITHD_REBOOT_WINDOW_LENGTH', 'rebootWindowLength'],
] as const;

/**
 * update_engine strips one pair of surrounding quotes since db448f9 (2023-10-12); releases branched before it
 * (3510.x and older) read `GROUP="beta"` with the quotes. A Flatcar MAJOR counts days since 2013-07-01, so the
 * first branch with the change is MAJOR 3755.
 */
const QUOTE_STRIPPING_MAJOR = 3755;
export const updateEngineStripsQuotes = (versionId: string): boolean => Number(versionId.split('.')[0]) >= QUOTE_STRIPPING_MAJOR;

function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1);
  return v;
}

/**
 * The file as each of its readers reads it. update_engine (simple_key_value_store.cc): every line with a `=` is
 * split at the first one, nothing is trimmed (`GROUP = beta` sets the key "GROUP "), there are no comments (a `#`
 * line with a `=` sets a key nobody asks for), the last occurrence of a key wins, lines without `=` are skipped.
 * locksmithd gets its keys from systemd's EnvironmentFile= reading (env-file.ts): `REBOOT_STRATEGY = off` is off.
 */
export function parseUpdateConf(text: string, opts: { stripQuotes?: boolean } = {}): UpdateConf {
  const strip = opts.stripQuotes ?? true;
  const fields: Record<string, string> = Object.create(null);
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const value = line.slice(eq + 1);
    fields[line.slice(0, eq)] = strip ? unquote(value) : value;
  }
  return fromFields(fields, parseEnvFile(text));
}

function fromFields(fields: Record<string, string>, environment: Record<string, string>): UpdateConf {
  const conf: UpdateConf = { fields: Object.freeze(fields), environment: Object.freeze(environment) };
  for (const [key, prop] of NAMED) {
    const value = fields[key];
    if (value !== undefined) conf[prop] = value;
  }
  for (const [key, prop] of LOCKSMITHD_NAMED) {
    const value = environment[key];
    if (value !== undefined) conf[prop] = value;
  }
  return conf;
}

/**
 * Layers in lookup order (`/etc` first): the first layer that sets a key wins, for update_engine's GetConfValue
 * and for systemd, which loads /usr then /etc so the later file's assignment stays.
 */
export function effectiveUpdateConf(layers: readonly UpdateConf[]): UpdateConf {
  const merged: Record<string, string> = Object.create(null);
  const environment: Record<string, string> = Object.create(null);
  for (const layer of [...layers].reverse()) {
    Object.assign(merged, layer.fields);
    Object.assign(environment, layer.environment);
  }
  return fromFields(merged, environment);
}

/** update_engine posts its Omaha request to SERVER; anything but an http(s) URL (`disabled`) cannot be sent. */
export const serverSendsRequests = (server: string | undefined): boolean => server === undefined || /^https?:\/\/[^\s/]+/.test(server);

/**
 * Replaces /etc/flatcar/update.conf atomically: the new text goes into a file next to it (sent on standard input,
 * no cluster data in the command; `tee` creates it 0644 as root), which is then renamed over the old one, so a
 * crash or a dropped connection leaves either the old file or the new one, never half of it. The name is fixed:
 * only root writes in /etc/flatcar, and one node is only ever changed by the run that claimed it.
 */
export const UPDATE_CONF_TEMP = `${UPDATE_CONF_PATHS.etc}.flatdeck-new`;
export const writeUpdateConf = (): readonly [Command, Command] => [
  command(['tee', UPDATE_CONF_TEMP], true),
  command(['mv', '-f', UPDATE_CONF_TEMP, UPDATE_CONF_PATHS.etc], true),
];

const lines = (text: string | null) => (text ?? '').split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
const joined = (kept: string[]) => (kept.length ? `${kept.join('\n')}\n` : '');
/** A line update_engine reads as SERVER set to something it cannot send a request to. */
const isBlockingServerLine = (line: string) => line.startsWith('SERVER=') && !serverSendsRequests(unquote(line.slice('SERVER='.length)));

/**
 * The file's text with update requests turned off (`SERVER=disabled` last, so it wins) or on again (every SERVER
 * line that is not a URL removed); every other line, comments and an operator's own server URL included, stays.
 */
export function withServerDisabled(text: string | null, disabled: boolean): string {
  const kept = lines(text).filter((l) => !isBlockingServerLine(l));
  if (disabled) kept.push('SERVER=disabled');
  return joined(kept);
}

/** How a line flatdeck lifted for one update run reads while the run lasts (a key update_engine never asks for). */
export const LIFTED_PREFIX = '#flatdeck-lifted-for-an-update#';

/** Comments out the SERVER lines that stop update requests, so exactly they can be put back; null when none. */
export function liftServerDisabled(text: string | null): string | null {
  const all = lines(text);
  if (!all.some(isBlockingServerLine)) return null;
  return joined(all.map((l) => (isBlockingServerLine(l) ? `${LIFTED_PREFIX}${l}` : l)));
}

/** The exact inverse of liftServerDisabled; null when nothing in the text was lifted. */
export function restoreLiftedServer(text: string | null): string | null {
  const all = lines(text);
  if (!all.some((l) => l.startsWith(LIFTED_PREFIX))) return null;
  return joined(all.map((l) => (l.startsWith(LIFTED_PREFIX) ? l.slice(LIFTED_PREFIX.length) : l)));
}
