// Which machines a seed produces: a mix of channels, starting versions and os-release formats, with the update
// units of a fleet profile:
// - `stock`: every node as the Flatcar image ships (update-engine and locksmithd running from vendor links,
//   empty update.conf), so locksmithd reboots a node as soon as an update is staged, without a drain;
// - `kubermatic`: every node as Kubermatic's disableAutoUpdate leaves it (both units masked);
// - `mixed`: the three fixed nodes below, then stock nodes, the sixth of them an Ubuntu worker;
// - `classic`: the three fixed nodes, then seeded nodes that are either FLUO-ready or Kubermatic-masked (the
//   fleet the integration tests were written against; the in-process default).
import type { NodeSpec, NodeUnitProfile } from './node.ts';
import { createRandom } from './random.ts';
import { DEFAULT_RELEASES } from './release-server.ts';
import { channelOf } from './versions.ts';

export const FLEET_PROFILES = ['stock', 'kubermatic', 'mixed', 'classic'] as const;
export type FleetProfile = (typeof FLEET_PROFILES)[number];

export interface CompositionOptions {
  profile?: FleetProfile;
  nodes: number;
  seed: number;
  addressBase: string;
  /** every node on addressBase itself, told apart by its SSH port (sshPort 0): macOS has only 127.0.0.1 */
  sharedAddress?: boolean;
  sshPort: number;
  /** nodes placed round-robin in this many zones (zone-a, zone-b, …); none when absent */
  zones?: number;
}

// Starting versions per channel, oldest first; the last one of each is already current on the release server.
const STARTING_VERSIONS: Record<'stable' | 'beta', readonly string[]> = {
  stable: ['3510.2.8', '4459.2.1', '4593.2.0', '4757.2.0', DEFAULT_RELEASES.stable.version],
  beta: ['4593.1.1', '4628.1.2', DEFAULT_RELEASES.beta.version],
};

/**
 * The release a machine was updated from, left on its other USR partition: the one before it in its channel's
 * list; the oldest one is a machine never updated (its USR-B is empty, as on a fresh install).
 */
function previousOf(version: string): string | null {
  const list = STARTING_VERSIONS[channelOf(version) === 'beta' ? 'beta' : 'stable'];
  const at = list.indexOf(version);
  return at > 0 ? (list[at - 1] as string) : null;
}

// The sixth machine of a `mixed` fleet is an Ubuntu 22.04 worker not migrated to Flatcar yet (sim/fleet/ubuntu.ts),
// past the fixed three and the first stock ones so smaller mixed fleets stay all Flatcar.
const UBUNTU_INDEX = 5;

// The first machines are fixed so every seed offers the interesting cases up front.
const FIXED: readonly { version: string; units: NodeUnitProfile }[] = [
  { version: '4459.2.1', units: 'kubermatic' }, // old unquoted os-release, Kubermatic disableAutoUpdate
  { version: '4757.2.0', units: 'fluo-ready' }, // quoted os-release, update-engine running
  { version: '4628.1.2', units: 'kubermatic' }, // beta channel
];

function unitsOf(profile: FleetProfile, index: number, random: ReturnType<typeof createRandom>): NodeUnitProfile {
  const fixed = profile === 'mixed' || profile === 'classic' ? FIXED[index]?.units : undefined;
  if (fixed) return fixed;
  if (profile === 'classic') return random.next() < 0.5 ? 'kubermatic' : 'fluo-ready';
  return profile === 'kubermatic' ? 'kubermatic' : 'stock';
}

function ipToInt(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`not an IPv4 address: ${address}`);
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Address of node `index` (0-based): base + index, skipping .0 and .255 in the last octet. */
export function nodeAddress(base: string, index: number): string {
  if (!base.startsWith('127.')) throw new RangeError(`node addresses must be loopback (127.0.0.0/8), got ${base}`);
  let value = ipToInt(base);
  for (let seen = 0; ; value++) {
    const last = value % 256;
    if (last === 0 || last === 255) continue;
    if (seen++ === index) break;
  }
  const address = intToIp(value);
  if (!address.startsWith('127.')) throw new RangeError(`node ${index} would leave 127.0.0.0/8`);
  return address;
}

const MAX_ZONES = 26;

/** Zone of node `index` when the fleet spans `zones` zones: round-robin, as a spread MachineSet places them. */
export function zoneOf(index: number, zones: number | undefined): string | undefined {
  if (zones === undefined) return undefined;
  if (!Number.isInteger(zones) || zones < 1 || zones > MAX_ZONES) throw new RangeError(`zones must be 1..${MAX_ZONES}, got ${zones}`);
  return `zone-${String.fromCharCode(97 + (index % zones))}`;
}

export function composeFleet(opts: CompositionOptions): NodeSpec[] {
  const profile = opts.profile ?? 'classic';
  const random = createRandom(opts.seed);
  const specs: NodeSpec[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    const fixed = FIXED[i];
    const channel = random.next() < 0.25 ? 'beta' : 'stable';
    const version = fixed?.version ?? random.pick(STARTING_VERSIONS[channel]);
    const units = unitsOf(profile, i, random);
    const group = channelOf(version);
    // The fixed and classic nodes carry an Ignition-written GROUP (most stable ones too); stock and Kubermatic
    // nodes keep the empty file tmpfiles.d creates, so the image's own /usr/share/flatcar/update.conf decides.
    const ignitionGroup = profile === 'classic' || (profile === 'mixed' && fixed !== undefined);
    const writesGroup = ignitionGroup && (group !== 'stable' || random.next() < 0.75);
    specs.push({
      name: `worker-${i + 1}`,
      address: opts.sharedAddress ? opts.addressBase : nodeAddress(opts.addressBase, i),
      sshPort: opts.sshPort,
      machineId: random.hex(32),
      version,
      units,
      updateConf: writesGroup ? `GROUP=${group}\n` : '',
      bytesPerSecond: Math.round(DEFAULT_RELEASES[group].size / random.int(60, 120)),
      previousVersion: previousOf(version),
      ...(opts.zones === undefined ? {} : { zone: zoneOf(i, opts.zones) }),
      ...(profile === 'mixed' && i === UBUNTU_INDEX ? { distribution: 'ubuntu' as const } : {}),
    });
  }
  return specs;
}
