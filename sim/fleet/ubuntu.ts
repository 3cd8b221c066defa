// An Ubuntu 22.04 worker left in a Flatcar cluster: what it shows of itself (sim/README.md cites the sources).
// No update_engine, locksmithd or cgpt; its kernel and libc updates come from apt, and the package that needs a
// reboot says so through update-notifier-common's notify-reboot-required: /var/run/reboot-required with the
// package appended to /var/run/reboot-required.pkgs. /var/run is tmpfs: a boot starts without both.

/** /usr/lib/os-release of Ubuntu 22.04.5 LTS (base-files 12ubuntu4.7); /etc/os-release links to it. */
export const UBUNTU_OS_RELEASE = `PRETTY_NAME="Ubuntu 22.04.5 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.5 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
`;

export const UBUNTU = { versionId: '22.04', prettyName: 'Ubuntu 22.04.5 LTS', kernel: '5.15.0-126-generic' } as const;

/** What notify-reboot-required writes into the sentinel (its gettext "System restart required" message). */
export const REBOOT_REQUIRED_TEXT = '*** System restart required ***\n';

/** The packages whose postinst asked for a reboot since the last boot: a kernel update pulls in both. */
export const PENDING_REBOOT_PACKAGES: readonly string[] = ['linux-image-5.15.0-127-generic', 'linux-base'];

export const REBOOT_REQUIRED_PATHS = ['/var/run/reboot-required', '/run/reboot-required'] as const;
export const REBOOT_REQUIRED_PKGS_PATHS = ['/var/run/reboot-required.pkgs', '/run/reboot-required.pkgs'] as const;

/** Programs of Flatcar's image that an Ubuntu machine does not have (bash: command not found, exit 127). */
export const FLATCAR_ONLY_PROGRAMS: ReadonlySet<string> = new Set(['update_engine_client', 'flatcar-setgoodroot', 'flatcar-update', 'rootdev', 'cgpt']);
