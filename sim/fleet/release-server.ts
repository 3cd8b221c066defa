// The simulated Omaha/Nebraska update server: one current release per channel; offers it to a node whose
// booted version is older (the public server never offers downgrades).
import { compareVersions, parseVersion, type Channel } from './versions.ts';

export interface Release {
  version: string;
  /** full payload size in bytes (Flatcar ships no deltas) */
  size: number;
}

export const DEFAULT_RELEASES: Readonly<Record<Channel, Release>> = {
  alpha: { version: '4852.0.0', size: 471_859_200 },
  beta: { version: '4803.1.0', size: 466_616_320 },
  stable: { version: '4757.2.3', size: 458_234_665 },
  lts: { version: '4081.3.6', size: 421_527_552 },
};

export class ReleaseServer {
  private readonly releases = new Map<string, Release>();

  constructor(initial: Readonly<Record<string, Release>> = DEFAULT_RELEASES) {
    for (const [channel, release] of Object.entries(initial)) this.publish(channel, release);
  }

  publish(channel: string, release: Release): void {
    parseVersion(release.version);
    if (!Number.isInteger(release.size) || release.size <= 0) throw new RangeError(`invalid payload size ${release.size}`);
    this.releases.set(channel, { ...release });
  }

  latest(channel: string): Release | undefined {
    return this.releases.get(channel);
  }

  /** What the server answers to an update check from a node on `channel` booted into `currentVersion`. */
  offer(channel: string, currentVersion: string): Release | null {
    const latest = this.releases.get(channel);
    if (!latest || compareVersions(latest.version, currentVersion) <= 0) return null;
    return { ...latest };
  }

  snapshot(): Record<string, Release> {
    return Object.fromEntries([...this.releases].map(([channel, r]) => [channel, { ...r }]));
  }
}
