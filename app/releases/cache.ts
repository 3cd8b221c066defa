import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ReleaseChannel } from '../api/releases.ts';

const CachedChannel = z.object({ version: z.string().regex(/^\d+\.\d+\.\d+$/), releaseDate: z.string().nullable() });
const CachedFeed = z.object({ fetchedAt: z.string(), channels: z.partialRecord(ReleaseChannel, CachedChannel) });
export type CachedFeed = z.infer<typeof CachedFeed>;
const CacheFile = z.object({ feeds: z.record(z.string(), CachedFeed) });

/**
 * The newest release per channel of every feed flatdeck has read, in the data folder, so a laptop offline or a
 * site without internet access still knows what the last reachable feed said. A file that does not validate is
 * treated as empty: it holds nothing that cannot be read again.
 */
export class FeedCache {
  constructor(private readonly file: string) {}

  read(base: string): CachedFeed | null {
    return this.#all().feeds[base] ?? null;
  }

  write(base: string, feed: CachedFeed): void {
    const all = this.#all();
    all.feeds[base] = feed;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  #all(): z.infer<typeof CacheFile> {
    if (!existsSync(this.file)) return { feeds: {} };
    try {
      const parsed = CacheFile.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      return parsed.success ? parsed.data : { feeds: {} };
    } catch {
      return { feeds: {} };
    }
  }
}
