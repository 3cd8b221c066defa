// systemctl for the units the update procedure touches, with systemd's messages (on stderr) and exit codes:
// install_changes_dump in systemd src/shared/install.c quotes removed paths, `Removed "/etc/…".`
import { normalizeUnitName } from '../units.ts';
import type { Invocation } from './process.ts';

const AUTH_REQUIRED = 'Interactive authentication required.';
const UNIT_DIR = '/etc/systemd/system';
/** `--runtime`: the change goes to /run, which does not survive a reboot */
const RUNTIME_DIR = '/run/systemd/system';
const VENDOR_DIR = '/usr/lib/systemd/system';

type Verb = (inv: Invocation, units: string[], now: boolean, runtime?: boolean) => number;

function isEnabled(inv: Invocation, units: string[]): number {
  let anyEnabled = false;
  for (const unit of units) {
    const state = inv.host.units.fileState(unit);
    if (state === null) {
      inv.io.stderr(`Failed to get unit file state for ${unit}: No such file or directory\n`);
      return 1;
    }
    inv.io.stdout(`${state}\n`);
    anyEnabled ||= state === 'enabled';
  }
  return anyEnabled ? 0 : 1;
}

function isActive(inv: Invocation, units: string[], quiet: boolean): number {
  let anyActive = false;
  for (const unit of units) {
    const state = inv.host.units.activeState(unit);
    if (!quiet) inv.io.stdout(`${state}\n`);
    anyActive ||= state === 'active';
  }
  return anyActive ? 0 : 3;
}

const start: Verb = (inv, units) => {
  for (const unit of units) {
    const u = inv.host.units.get(unit);
    if (u.masked || u.runtimeMasked) {
      inv.io.stderr(`Failed to start ${unit}: Unit ${unit} is masked.\n`);
      return 1;
    }
    if (!u.exists) {
      inv.io.stderr(`Failed to start ${unit}: Unit ${unit} not found.\n`);
      return 5;
    }
    if (u.active !== 'active') inv.host.units.setActive(unit, true);
  }
  return 0;
};

const stop: Verb = (inv, units) => {
  for (const unit of units) {
    const u = inv.host.units.get(unit);
    if (!u.exists && !u.masked) {
      inv.io.stderr(`Failed to stop ${unit}: Unit ${unit} not loaded.\n`);
      return 5;
    }
    inv.host.units.setActive(unit, false);
  }
  return 0;
};

const mask: Verb = (inv, units, now, runtime = false) => {
  for (const unit of units) {
    const u = inv.host.units.get(unit);
    if (runtime ? u.runtimeMasked : u.masked) continue;
    if (runtime) inv.host.units.setRuntimeMasked(unit, true);
    else inv.host.units.setMasked(unit, true);
    inv.io.stderr(`Created symlink ${runtime ? RUNTIME_DIR : UNIT_DIR}/${unit} → /dev/null.\n`);
  }
  return now ? stop(inv, units, false) : 0;
};

// Each scope's link is removed by its own unmask: plain unmask leaves a runtime mask in place, and the reverse.
const unmask: Verb = (inv, units, _now, runtime = false) => {
  for (const unit of units) {
    const u = inv.host.units.get(unit);
    if (!(runtime ? u.runtimeMasked : u.masked)) continue;
    if (runtime) inv.host.units.setRuntimeMasked(unit, false);
    else inv.host.units.setMasked(unit, false);
    inv.io.stderr(`Removed "${runtime ? RUNTIME_DIR : UNIT_DIR}/${unit}".\n`);
  }
  return 0;
};

const enable: Verb = (inv, units, now) => {
  for (const unit of units) {
    const u = inv.host.units.get(unit);
    if (u.masked || !u.exists) {
      inv.io.stderr(`Failed to enable unit: Unit file ${unit} ${u.masked ? 'is masked' : 'does not exist'}.\n`);
      return 1;
    }
    if (u.enabled) continue;
    inv.host.units.setEnabled(unit, true);
    inv.io.stderr(`Created symlink ${UNIT_DIR}/multi-user.target.wants/${unit} → ${VENDOR_DIR}/${unit}.\n`);
  }
  return now ? start(inv, units, false) : 0;
};

const disable: Verb = (inv, units, now) => {
  for (const unit of units) {
    const u = inv.host.units.get(unit);
    if (!u.exists) {
      inv.io.stderr(`Failed to disable unit: Unit file ${unit} does not exist.\n`);
      return 1;
    }
    // Only /etc links can be removed: a vendor link under /usr stays, and the unit still starts at boot.
    if (!u.enabled) continue;
    inv.host.units.setEnabled(unit, false);
    inv.io.stderr(`Removed "${UNIT_DIR}/multi-user.target.wants/${unit}".\n`);
  }
  return now ? stop(inv, units, false) : 0;
};

const restart: Verb = (inv, units) => stop(inv, units, false) || start(inv, units, false);

const UNIT_VERBS: Record<string, { verb: Verb; unitFileOp: boolean }> = {
  start: { verb: start, unitFileOp: false },
  stop: { verb: stop, unitFileOp: false },
  restart: { verb: restart, unitFileOp: false },
  mask: { verb: mask, unitFileOp: true },
  unmask: { verb: unmask, unitFileOp: true },
  enable: { verb: enable, unitFileOp: true },
  disable: { verb: disable, unitFileOp: true },
};

function reboot(inv: Invocation): number {
  if (!inv.root) {
    inv.io.stderr(`Failed to set wall message, ignoring: ${AUTH_REQUIRED}\nCall to Reboot failed: ${AUTH_REQUIRED}\n`);
    return 1;
  }
  inv.host.requestReboot();
  return 0;
}

export function systemctl(inv: Invocation): number {
  const args = inv.argv.slice(1);
  const quiet = args.includes('-q') || args.includes('--quiet');
  const now = args.includes('--now');
  const runtime = args.includes('--runtime');
  const unknownOption = args.find((a) => a.startsWith('-') && !['-q', '--quiet', '--now', '--runtime', '--no-pager', '--no-block'].includes(a));
  if (unknownOption !== undefined) {
    inv.io.stderr(`systemctl: unrecognized option '${unknownOption}'\n`);
    return 1;
  }
  const [verb, ...names] = args.filter((a) => !a.startsWith('-'));
  if (verb === undefined) {
    inv.io.stderr('Too few arguments.\n');
    return 1;
  }
  if (verb === 'reboot') return reboot(inv);
  const units = names.map(normalizeUnitName);
  if (verb === 'is-enabled' || verb === 'is-active') {
    if (units.length === 0) {
      inv.io.stderr('Too few arguments.\n');
      return 1;
    }
    return verb === 'is-enabled' ? isEnabled(inv, units) : isActive(inv, units, quiet);
  }
  const entry = UNIT_VERBS[verb];
  if (!entry) {
    inv.io.stderr(`Unknown command verb '${verb}'.\n`);
    return 1;
  }
  if (units.length === 0) {
    inv.io.stderr('Too few arguments.\n');
    return 1;
  }
  if (!inv.root) {
    if (entry.unitFileOp) {
      inv.io.stderr(`Failed to ${verb} unit: ${AUTH_REQUIRED}\n`);
    } else {
      const unit = units[0] as string;
      inv.io.stderr(`Failed to ${verb} ${unit}: ${AUTH_REQUIRED}\nSee system logs and 'systemctl status ${unit}' for details.\n`);
    }
    return 1;
  }
  return entry.verb(inv, units, now, runtime);
}
