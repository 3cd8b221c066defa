import { command, type Command } from './command.ts';
import { parseFailure } from './errors.ts';

/** The only units flatdeck ever touches. */
export const FLATCAR_UNITS = ['update-engine.service', 'locksmithd.service'] as const;
export type FlatcarUnit = (typeof FLATCAR_UNITS)[number];

const query = (verb: string, unit: FlatcarUnit): Command => command(['systemctl', verb, unit]);
const change = (verb: string, unit: FlatcarUnit): Command => command(['systemctl', verb, unit], true);

export const systemctl = {
  isEnabled: (unit: FlatcarUnit) => query('is-enabled', unit),
  isActive: (unit: FlatcarUnit) => query('is-active', unit),
  unmask: (unit: FlatcarUnit) => change('unmask', unit),
  mask: (unit: FlatcarUnit) => change('mask', unit),
  /** A mask in /run/systemd/system: nothing can start the unit until it is lifted or the machine reboots. */
  'mask-runtime': (unit: FlatcarUnit) => command(['systemctl', 'mask', '--runtime', unit], true),
  'unmask-runtime': (unit: FlatcarUnit) => command(['systemctl', 'unmask', '--runtime', unit], true),
  start: (unit: FlatcarUnit) => change('start', unit),
  stop: (unit: FlatcarUnit) => change('stop', unit),
  reboot: () => command(['systemctl', 'reboot'], true),
} as const;

// systemctl(1), "is-enabled" output table; the exit status is 0 exactly for the states marked true.
const ENABLED_STATES = {
  enabled: true, 'enabled-runtime': true, linked: false, 'linked-runtime': false, alias: true,
  masked: false, 'masked-runtime': false, static: true, indirect: true, disabled: false, generated: true,
  transient: true, bad: false, 'not-found': false,
} as const;
export type UnitFileState = keyof typeof ENABLED_STATES;

export interface IsEnabledResult {
  state: UnitFileState;
  masked: boolean;
  /** systemd would start it at boot or on demand */
  enabled: boolean;
}

const UNIT_FILE_MISSING = /Failed to get unit file state for .*: No such file or directory/;

export interface SystemctlOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** `systemctl is-enabled UNIT`: one word on stdout; the exit code must agree ("enabled-like or not"). */
export function parseIsEnabled({ stdout, stderr, exitCode }: SystemctlOutput): IsEnabledResult {
  const word = stdout.trim();
  // Older systemd prints nothing on stdout for a unit that does not exist.
  const state = word === '' && UNIT_FILE_MISSING.test(stderr) ? 'not-found' : word;
  if (!Object.hasOwn(ENABLED_STATES, state)) {
    throw parseFailure('systemctl is-enabled output', `unknown unit file state "${state.slice(0, 60)}"`);
  }
  const known = state as UnitFileState;
  if ((exitCode === 0) !== ENABLED_STATES[known]) {
    throw parseFailure('systemctl is-enabled output', `state "${known}" with exit code ${exitCode}`);
  }
  return { state: known, masked: known === 'masked' || known === 'masked-runtime', enabled: ENABLED_STATES[known] };
}

export const ACTIVE_STATES = [
  'active', 'reloading', 'inactive', 'failed', 'activating', 'deactivating', 'maintenance', 'refreshing', 'unknown',
] as const;
export type ActiveState = (typeof ACTIVE_STATES)[number];

export interface IsActiveResult {
  state: ActiveState;
  running: boolean; // exit code 0 in systemctl terms
}

/** `systemctl is-active UNIT`: exit 0 for active/reloading/refreshing, 3 otherwise (also for unknown units). */
export function parseIsActive({ stdout, exitCode }: SystemctlOutput): IsActiveResult {
  const state = stdout.trim();
  if (!(ACTIVE_STATES as readonly string[]).includes(state)) {
    throw parseFailure('systemctl is-active output', `unknown active state "${state.slice(0, 60)}"`);
  }
  const known = state as ActiveState;
  const running = known === 'active' || known === 'reloading' || known === 'refreshing';
  if ((exitCode === 0) !== running) {
    throw parseFailure('systemctl is-active output', `state "${known}" with exit code ${exitCode}`);
  }
  return { state: known, running };
}

/**
 * The unit file state in the words the API shows (`enabled-runtime` counts as enabled, and so on). Flatcar's
 * image enables update-engine and locksmithd itself, with links under /usr/lib/systemd/system/…wants/
 * (`systemd_enable_service` in their ebuilds); `is-enabled` counts only /etc and /run links and says `disabled`
 * although both start at every boot (systemd#29155, flatcar#1330), so for these units that word is shown as
 * what it means: vendor-enabled.
 */
export type UnitFileSummary = 'enabled' | 'vendor-enabled' | 'masked' | 'masked-runtime' | 'static' | 'unknown';
export function summarizeUnitFile(state: UnitFileState): UnitFileSummary {
  if (state === 'enabled' || state === 'enabled-runtime') return 'enabled';
  // a mask under /run ends at the next boot (what flatdeck holds locksmithd with during an update)
  if (state === 'masked' || state === 'masked-runtime') return state;
  if (state === 'disabled') return 'vendor-enabled';
  if (state === 'static') return state;
  return 'unknown';
}
