import { parseUpdateConf, updateEngineStripsQuotes } from './update-conf.ts';

const lines = (text: string | null) => (text ?? '').split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));

/** GROUP as update_engine reads /etc/flatcar/update.conf (its last GROUP line); null when the file sets none. */
export function groupOf(text: string | null, versionId: string | null): string | null {
  return parseUpdateConf(text ?? '', { stripQuotes: versionId === null || updateEngineStripsQuotes(versionId) }).group ?? null;
}

/** update_engine's GROUP when no file sets one (omaha_request_params.cc kDefaultChannel). */
export const DEFAULT_GROUP = 'stable';

/**
 * The channel update_engine asks for: omaha_request_params.cc GetConfValue("GROUP", kDefaultChannel) takes the
 * first of /etc/flatcar/update.conf and the image's /usr/share/flatcar/update.conf that sets GROUP (it looks in
 * /usr/share/flatcar/release last, which sets no GROUP), else `stable`. Not the running release's channel: after
 * a channel change the node runs its old release until the new channel offers a newer one.
 */
export function effectiveGroup(etc: string | null, usr: string | null, versionId: string | null): string {
  return groupOf(etc, versionId) ?? groupOf(usr, versionId) ?? DEFAULT_GROUP;
}

/**
 * The file with the channel set: every GROUP line replaced by one `GROUP=<channel>` at the end (update_engine
 * takes the last occurrence, so an earlier one could never win), every other line (SERVER, locksmithd's keys,
 * comments) kept as it was.
 */
export function withGroup(text: string | null, channel: string): string {
  if (!/^[a-z0-9-]+$/.test(channel)) throw new RangeError(`not a channel name: ${JSON.stringify(channel)}`);
  const kept = lines(text).filter((l) => !l.startsWith('GROUP='));
  kept.push(`GROUP=${channel}`);
  return `${kept.join('\n')}\n`;
}
