import type { ReleaseChannel } from '../api/releases.ts';
import { ReleaseFeed } from './feed.ts';

/** The public feed; a per-cluster setting may point at a mirror holding the same files. */
export const PUBLIC_FEED_URL = 'https://www.flatcar.org/releases-json/';

/** A channel's feed is about 1-2 MB (release notes of every release since 2018); refuse anything far bigger. */
const MAX_FEED_BYTES = 16 * 1024 * 1024;

export type FetchLike = (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => Promise<Response>;

export function feedFileUrl(base: string, channel: ReleaseChannel): string {
  return new URL(`releases-${channel}.json`, base.endsWith('/') ? base : `${base}/`).toString();
}

/** Reads and validates one channel's feed file; throws an Error saying what went wrong and where. */
export async function fetchFeed(base: string, channel: ReleaseChannel, opts: { fetch: FetchLike; timeoutMs: number }): Promise<ReleaseFeed> {
  const url = feedFileUrl(base, channel);
  let res: Response;
  try {
    res = await opts.fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${opts.timeoutMs / 1000} s` : (err as Error).message;
    throw new Error(`${url}: ${reason}`);
  }
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_FEED_BYTES) throw new Error(`${url}: ${declared} bytes is more than a release feed can be`);
  const text = await res.text();
  if (text.length > MAX_FEED_BYTES) throw new Error(`${url}: ${text.length} bytes is more than a release feed can be`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${url}: not JSON`);
  }
  const parsed = ReleaseFeed.safeParse(json);
  if (!parsed.success) throw new Error(`${url}: not a Flatcar release feed (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})`);
  return parsed.data;
}
