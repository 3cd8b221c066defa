/**
 * An Ubuntu node's "reboot required" sentinel, what kured reads: Ubuntu's update-notifier-common
 * (/usr/share/update-notifier/notify-reboot-required), run by the postinst of a package that needs a reboot
 * (kernel, libc, …), writes /var/run/reboot-required and appends the package's name to
 * /var/run/reboot-required.pkgs. /var/run is tmpfs, so both are gone after the next boot.
 */
import { command, type Command } from './command.ts';
import type { CommandOutput } from './classify.ts';
import { parseFailure } from './errors.ts';

export const REBOOT_REQUIRED = '/var/run/reboot-required';
export const REBOOT_REQUIRED_PKGS = '/var/run/reboot-required.pkgs';

export const readRebootRequired = (): Command => command(['cat', REBOOT_REQUIRED]);
export const readRebootRequiredPkgs = (): Command => command(['cat', REBOOT_REQUIRED_PKGS]);

export interface RebootRequired {
  required: boolean;
  /** the packages that asked for it, each once, in the order they asked; empty when .pkgs is absent */
  packages: string[];
}

/** True when `cat FILE` printed it, false when cat said it does not exist; anything else is not an answer. */
function present(file: string, out: CommandOutput): boolean {
  if (out.exitCode === 0) return true;
  if (out.exitCode === 1 && out.stderr.includes(`${file}: No such file or directory`)) return false;
  throw parseFailure(file, `cat exited ${out.exitCode ?? `on signal ${out.signal ?? '?'}`}: ${out.stderr.trim().slice(-200)}`);
}

/** The sentinel and its package list as `cat` printed them (a package that asked twice is listed twice there). */
export function parseRebootRequired(sentinel: CommandOutput, pkgs: CommandOutput): RebootRequired {
  const required = present(REBOOT_REQUIRED, sentinel);
  if (!present(REBOOT_REQUIRED_PKGS, pkgs)) return { required, packages: [] };
  const packages = [...new Set(pkgs.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== ''))];
  const bad = packages.find((p) => !/^[a-z0-9][a-z0-9+.:-]*$/.test(p));
  if (bad !== undefined) throw parseFailure(REBOOT_REQUIRED_PKGS, `not a Debian package name: ${JSON.stringify(bad.slice(0, 80))}`);
  return { required, packages };
}
