import { releaseChannels, type ChannelRelease, type ReleaseChannel, type ReleaseInfo } from '../../../../app/api/index.ts';
import { compareVersions } from '../../../../app/api/versions.ts';
import { channelOf, type NodeRow } from './fleet.ts';

export type Currency = 'behind' | 'current' | 'unknown';

/** Flatcar's release notes page has one anchor per version (flatcar-website `partials/product/flatcar/release-notes.html`). */
export function releaseNotesUrl(version: string): string {
  return `https://www.flatcar.org/releases#release-${encodeURIComponent(version)}`;
}

/** The newest release of the channel the node asks for (GROUP), which update_engine moves it to when newer. */
export function availableFor(row: NodeRow, releases: ReleaseInfo | null): ChannelRelease | null {
  const channel = channelOf(row);
  if (!releases || !channel || row.summary.distribution !== 'flatcar') return null;
  return releases.channels.find((c) => c.channel === channel) ?? null;
}

/** Whether a node runs an older release than the newest of its channel. */
export function currency(row: NodeRow, releases: ReleaseInfo | null): Currency {
  const available = availableFor(row, releases);
  const version = row.summary.flatcarVersion;
  if (!available || !version) return 'unknown';
  return compareVersions(version, available.version) < 0 ? 'behind' : 'current';
}

/**
 * The newest release of the channel a node was moved to, when it is older than the release the node runs:
 * update_engine does not downgrade, so the move takes effect when that channel catches up. Null otherwise.
 */
export function waitingFor(row: NodeRow, releases: ReleaseInfo | null): ChannelRelease | null {
  const available = availableFor(row, releases);
  const version = row.summary.flatcarVersion;
  if (!available || !version || channelOf(row) === row.summary.channel) return null;
  return compareVersions(available.version, version) < 0 ? available : null;
}

export interface ChannelCurrency {
  channel: ReleaseChannel;
  newest: ChannelRelease | null;
  nodes: number;
  behind: number;
}

/** Per channel that has nodes: how many there are and how many run an older release than the newest. */
export function channelCurrency(rows: Iterable<NodeRow>, releases: ReleaseInfo | null): ChannelCurrency[] {
  const byChannel = new Map<ReleaseChannel, ChannelCurrency>();
  for (const row of rows) {
    const channel = releaseChannels.find((c) => c === channelOf(row));
    if (!channel || row.summary.distribution !== 'flatcar') continue;
    let entry = byChannel.get(channel);
    if (!entry) {
      entry = { channel, newest: releases?.channels.find((c) => c.channel === channel) ?? null, nodes: 0, behind: 0 };
      byChannel.set(channel, entry);
    }
    entry.nodes++;
    if (currency(row, releases) === 'behind') entry.behind++;
  }
  const order: ReleaseChannel[] = ['stable', 'beta', 'alpha', 'lts'];
  return [...byChannel.values()].sort((a, b) => order.indexOf(a.channel) - order.indexOf(b.channel));
}
