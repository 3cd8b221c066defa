// The simulator's copy of Flatcar's public release feed, https://www.flatcar.org/releases-json/releases-<channel>.json
// (flatcar/flatcar-website `tools/release-scripts/releases_as_json.py`, `update-flatcar-versions.sh`): one JSON
// object per channel keyed by version, plus "current", a copy of the newest release's entry. It lists every release
// of the channel the simulated release bucket holds (the real one lists every release since 2018), "current" being
// what the update server offers, so a release published on the control endpoint appears here too.
import { createServer } from 'node:http';
import type { ReleaseServer } from './fleet/release-server.ts';
import { buildIdOf, kernelVersionOf } from './fleet/versions.ts';

export interface ReleasesFeedServer {
  /** The folder URL, ending in `/releases-json/`. */
  url: string;
  stop(): Promise<void>;
}

/** BUILD_ID "2025-10-30-1911" as the feed's `release_date` ("%Y-%m-%d %H:%M:%S %z"). */
function releaseDate(version: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})-(\d{2})(\d{2})$/.exec(buildIdOf(version));
  return m ? `${m[1]} ${m[2]}:${m[3]}:00 +0000` : '';
}

export function feedDocument(releases: ReleaseServer, channel: string): Record<string, unknown> | null {
  const latest = releases.latest(channel);
  if (!latest) return null;
  const entry = (version: string) => ({
    channel,
    architectures: ['amd64', 'arm64'],
    release_date: releaseDate(version),
    major_software: { kernel: [kernelVersionOf(version).replace(/-flatcar$/, '')] },
    release_notes: `Simulated ${channel} release ${version} (flatdeck simulator).`,
  });
  const listed = new Set([...releases.history(channel).map((r) => r.version), latest.version]);
  return { ...Object.fromEntries([...listed].map((v) => [v, entry(v)])), current: entry(latest.version) };
}

export async function startReleasesFeed(releases: ReleaseServer, host = '127.0.0.1'): Promise<ReleasesFeedServer> {
  const server = createServer((req, res) => {
    const channel = /^\/releases-json\/releases-([a-z][a-z0-9-]*)\.json$/.exec(new URL(req.url ?? '/', 'http://feed').pathname)?.[1];
    const body = req.method === 'GET' && channel ? feedDocument(releases, channel) : null;
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body, null, 2)}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  return {
    url: `http://${host}:${port}/releases-json/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
