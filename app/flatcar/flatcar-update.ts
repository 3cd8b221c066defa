import { command, type Command } from './command.ts';

export const FLATCAR_VERSION = /^\d+\.\d+\.\d+$/;

/**
 * flatcar/init's `flatcar-update --to-version V`: downloads V's payload from update.release.flatcar-linux.net and
 * serves it to update_engine through a temporary local update service, so update_engine stages exactly V (older
 * than the running release too). It unmasks and starts update-engine, refuses while another update is staged,
 * and puts the previous SERVER line back (or SERVER=disabled with --disable-afterwards) when done.
 */
export function flatcarUpdateTo(version: string): Command {
  if (!FLATCAR_VERSION.test(version)) throw new RangeError(`not a Flatcar version: ${JSON.stringify(version.slice(0, 40))}`);
  return command(['flatcar-update', '--to-version', version], true);
}
