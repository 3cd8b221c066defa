// flatdeck's view of the newest Flatcar release per channel: read from a feed in the website's format (the
// simulator's copy, over real HTTP), kept in the data folder, and still known when the feed is gone.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FeedCache } from '../../app/releases/cache.ts';
import { ReleaseCatalog } from '../../app/releases/catalog.ts';
import { ReleaseFeed, newestRelease } from '../../app/releases/feed.ts';
import { ReleaseServer } from '../../sim/fleet/release-server.ts';
import { startReleasesFeed } from '../../sim/releases-feed.ts';
import { loopbackBlock } from '../support/loopback.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-releases-'));
const host = loopbackBlock().host(1);
after(() => rmSync(dir, { recursive: true, force: true }));

// Shaped like www.flatcar.org/releases-json/releases-lts.json: several LTS streams, "current" + "current-YYYY".
const entry = (channel: string, date: string) => ({ channel, architectures: ['amd64', 'arm64'], release_date: date, major_software: {}, release_notes: `notes ${date}` });
const ltsFeed = {
  '3510.3.9': entry('lts', '2026-06-01 10:00:00 +0000'),
  '4081.3.10': entry('lts', '2026-08-13 15:49:19 +0000'),
  '4081.3.9': entry('lts', '2026-07-01 10:00:00 +0000'),
  'current-2023': entry('lts', '2026-06-01 10:00:00 +0000'),
  current: entry('lts', '2026-08-13 15:49:19 +0000'),
};

describe('the Flatcar release feed', () => {
  it('names the release "current" copies, compared as versions (4081.3.10 after 4081.3.9), with its date', () => {
    assert.deepEqual(newestRelease(ReleaseFeed.parse(ltsFeed), 'lts'), { version: '4081.3.10', releaseDate: '2026-08-13T15:49:19.000Z' });
  });

  it('has no release for a channel the file does not list', () => {
    assert.equal(newestRelease(ReleaseFeed.parse(ltsFeed), 'stable'), null);
  });

  it('reads every channel from the simulator feed, and then the cache once the feed is gone', async () => {
    const releases = new ReleaseServer();
    const feed = await startReleasesFeed(releases, host);
    const cache = new FeedCache(join(dir, 'cache-a.json'));
    const catalog = new ReleaseCatalog({ cache, timeoutMs: 2000 });
    const online = await catalog.newest(feed.url);
    assert.equal(online.error, null);
    assert.deepEqual(
      online.releases.map((r) => [r.channel, r.version, r.source]),
      [
        ['stable', '4757.2.3', 'feed'],
        ['beta', '4803.1.0', 'feed'],
        ['alpha', '4852.0.0', 'feed'],
        ['lts', '4081.3.6', 'feed'],
      ],
    );
    releases.publish('stable', { version: '4757.2.4', size: 459_000_000 });
    assert.equal((await catalog.newest(feed.url)).releases[0]?.version, '4757.2.3', 'a recent read is not repeated');
    assert.equal((await catalog.newest(feed.url, true)).releases[0]?.version, '4757.2.4', 'refresh reads the feed again');
    await feed.stop();

    // A new process (new catalog) with the feed down: the data folder still knows.
    const offline = await new ReleaseCatalog({ cache, timeoutMs: 2000 }).newest(feed.url);
    assert.match(offline.error ?? '', /releases-stable\.json/);
    assert.deepEqual(offline.releases[0], { channel: 'stable', version: '4757.2.4', releaseDate: offline.releases[0]?.releaseDate, source: 'cache' });
    assert.ok(offline.fetchedAt);
  });

  it('gives up on a feed that does not answer within the timeout and says so', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, host, r));
    const port = (server.address() as { port: number }).port;
    try {
      const started = Date.now();
      const read = await new ReleaseCatalog({ cache: new FeedCache(join(dir, 'cache-b.json')), timeoutMs: 300 }).newest(`http://${host}:${port}/mirror/`);
      assert.deepEqual(read.releases, []);
      assert.match(read.error ?? '', /no answer within 0\.3 s/);
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('refuses a file that is not a release feed and ignores a damaged cache file', async () => {
    const server = createServer((_req, res) => res.end(JSON.stringify({ current: { version: 1 } })));
    await new Promise<void>((r) => server.listen(0, host, r));
    const port = (server.address() as { port: number }).port;
    const file = join(dir, 'cache-c.json');
    writeFileSync(file, '{ not json');
    try {
      const read = await new ReleaseCatalog({ cache: new FeedCache(file), timeoutMs: 2000 }).newest(`http://${host}:${port}/`);
      assert.deepEqual(read.releases, []);
      assert.match(read.error ?? '', /not a Flatcar release feed/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
