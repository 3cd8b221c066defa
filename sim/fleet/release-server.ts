// The simulated Omaha/Nebraska update server: one current release per channel; offers it to a node whose
// booted version is older (the public server never offers downgrades).
import { compareVersions, parseVersion, type Channel } from './versions.ts';

const CHANNEL_OF_MINOR: readonly Channel[] = ['alpha', 'beta', 'stable', 'lts'];

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

/** Older releases whose payloads update.release.flatcar-linux.net still serves (what `flatcar-update -V` downloads). */
const EARLIER_PAYLOADS: readonly Release[] = [
  { version: '3510.2.8', size: 398_458_880 },
  { version: '4459.2.1', size: 441_450_496 },
  { version: '4593.2.0', size: 449_839_104 },
  { version: '4757.2.0', size: 457_179_136 },
  { version: '4593.1.1', size: 450_887_680 },
  { version: '4628.1.2', size: 452_984_832 },
];

export class ReleaseServer {
  private readonly releases = new Map<string, Release>();
  private readonly payloads = new Map<string, number>(EARLIER_PAYLOADS.map((r) => [r.version, r.size]));

  constructor(initial: Readonly<Record<string, Release>> = DEFAULT_RELEASES) {
    for (const [channel, release] of Object.entries(initial)) this.publish(channel, release);
  }

  publish(channel: string, release: Release): void {
    parseVersion(release.version);
    if (!Number.isInteger(release.size) || release.size <= 0) throw new RangeError(`invalid payload size ${release.size}`);
    this.releases.set(channel, { ...release });
    this.payloads.set(release.version, release.size);
  }

  /** Every release of `channel` whose payload the bucket holds (what the release feed lists), oldest first. */
  history(channel: string): Release[] {
    return [...this.payloads]
      .filter(([version]) => CHANNEL_OF_MINOR[parseVersion(version).minor] === channel)
      .map(([version, size]) => ({ version, size }))
      .sort((a, b) => compareVersions(a.version, b.version));
  }

  /** The payload of any release ever published (the release bucket keeps them all); null for a version never released. */
  payload(version: string): Release | null {
    const size = this.payloads.get(version);
    return size === undefined ? null : { version, size };
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
