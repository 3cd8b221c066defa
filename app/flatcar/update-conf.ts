import { command, type Command } from './command.ts';
import { parseFailure } from './errors.ts';

/** Per key, the first file that sets it wins, in this order (omaha_request_params.cc). */
export const UPDATE_CONF_PATHS = {
  etc: '/etc/flatcar/update.conf',
  usr: '/usr/share/flatcar/update.conf',
} as const;
export type UpdateConfLocation = keyof typeof UPDATE_CONF_PATHS;

export const readUpdateConf = (where: UpdateConfLocation): Command => command(['cat', UPDATE_CONF_PATHS[where]]);

export interface UpdateConf {
  group?: string;            // channel: alpha, beta, stable, lts, lts-2022…
  server?: string;           // `disabled` (any invalid URL) stops downloads
  rebootStrategy?: string;   // locksmithd: reboot, etcd-lock, off
  rebootWindowStart?: string;
  rebootWindowLength?: string;
  fields: Readonly<Record<string, string>>;
}

const LINE = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const NAMED = [
  ['GROUP', 'group'], ['SERVER', 'server'], ['REBOOT_STRATEGY', 'rebootStrategy'],
  ['LOCKSMITHD_REBOOT_WINDOW_START', 'rebootWindowStart'], ['LOCKSMITHD_REBOOT_WINDOW_LENGTH', 'rebootWindowLength'],
] as const;

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1);
  return v;
}

/** `KEY=value` lines with `#` comments; values may be quoted (the file is also a systemd EnvironmentFile). */
export function parseUpdateConf(text: string): UpdateConf {
  const fields: Record<string, string> = Object.create(null);
  text.split('\n').forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const m = LINE.exec(trimmed);
    if (!m) throw parseFailure('update.conf', `"${trimmed.slice(0, 60)}" is not KEY=value`, index + 1);
    fields[m[1]!] = unquote(m[2]!);
  });
  return fromFields(fields);
}

function fromFields(fields: Record<string, string>): UpdateConf {
  const conf: UpdateConf = { fields: Object.freeze(fields) };
  for (const [key, prop] of NAMED) {
    const value = fields[key];
    if (value !== undefined) conf[prop] = value;
  }
  return conf;
}

/** Layers in lookup order (`/etc` first): the first layer that sets a key wins. */
export function effectiveUpdateConf(layers: readonly UpdateConf[]): UpdateConf {
  const merged: Record<string, string> = Object.create(null);
  for (const layer of [...layers].reverse()) Object.assign(merged, layer.fields);
  return fromFields(merged);
}

/** Replaces /etc/flatcar/update.conf with the content sent on standard input (no cluster data in the command). */
export const writeUpdateConf = (): Command => command(['tee', UPDATE_CONF_PATHS.etc], true);

/**
 * The file's text with `SERVER=disabled` (Flatcar's documented way to stop updates) or without it; every other
 * line, comments included, stays as it was. A SERVER the operator set to a real URL is kept when enabling.
 */
export function withServerDisabled(text: string | null, disabled: boolean): string {
  const lines = (text ?? '').split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  const kept = lines.filter((l) => (disabled ? !/^\s*SERVER\s*=/.test(l) : !/^\s*SERVER\s*=\s*["']?disabled["']?\s*$/.test(l)));
  if (disabled) kept.push('SERVER=disabled');
  return kept.length ? `${kept.join('\n')}\n` : '';
}
