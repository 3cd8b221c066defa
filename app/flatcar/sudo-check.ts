import { command, type Command } from './command.ts';

/** `sudo -n true`: succeeds only if the SSH user may run commands as root without a password. */
export const sudoCheck = (): Command => command(['true'], true);
