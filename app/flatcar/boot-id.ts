import { command, type Command } from './command.ts';
import { parseFailure } from './errors.ts';

export const readBootId = (): Command => command(['cat', '/proc/sys/kernel/random/boot_id']);

const BOOT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A lowercase UUID, new on every boot: the "it really rebooted" signal. */
export function parseBootId(stdout: string): string {
  const id = stdout.trim();
  if (!BOOT_ID.test(id)) throw parseFailure('the boot id', `"${id.slice(0, 60)}" is not a UUID`);
  return id;
}
