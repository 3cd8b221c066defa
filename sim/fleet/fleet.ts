// The set of running machines and the SSH files that describe them. Machines can be added (a new VM for a
// Kubermatic Machine) and removed while the simulator runs; ssh_config and known_hosts follow.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultRegistry } from '../faults.ts';
import { generateKeyPair, loadOrCreateKeyPair, renderKnownHosts, renderSshConfig, type KeyPair } from '../outputs.ts';
import type { AuthorizedKeys } from './authorized-keys.ts';
import { systemClock } from './clock.ts';
import { nodeAddress } from './composition.ts';
import type { EventSink } from './events.ts';
import { SimNode, type NodeSpec } from './node.ts';
import { createRandom } from './random.ts';
import { DEFAULT_RELEASES, type ReleaseServer } from './release-server.ts';

export interface FleetOptions {
  stateDir: string;
  sshConfigPath: string;
  knownHostsPath: string;
  identityPath: string;
  seed: number;
  timeScale: number;
  addressBase: string;
  /** as CompositionOptions.sharedAddress */
  sharedAddress: boolean;
  sshPort: number;
  scheduledUpdateChecks: boolean;
  faults: FaultRegistry;
  releases: ReleaseServer;
  events: EventSink;
  authorizedKeys: AuthorizedKeys;
}

export interface NewMachine {
  name: string;
  /** update-engine and locksmithd masked (Kubermatic disableAutoUpdate: true) */
  updatesMasked: boolean;
}

export class Fleet {
  private readonly nodes: SimNode[] = [];
  private readonly hostKeys = new Map<string, KeyPair>();
  private readonly random: ReturnType<typeof createRandom>;
  private nextIndex = 0;

  constructor(private readonly opts: FleetOptions) {
    this.random = createRandom(opts.seed ^ 0x5eed);
  }

  get machines(): readonly SimNode[] {
    return this.nodes;
  }

  find(nameOrAddress: string): SimNode | undefined {
    return this.nodes.find((n) => n.name === nameOrAddress || n.address === nameOrAddress);
  }

  /** Boots the composed machines together and writes the SSH files once. */
  async start(specs: readonly NodeSpec[]): Promise<void> {
    const nodes = specs.map((spec) => this.create(spec));
    this.nextIndex = specs.length;
    await Promise.all(nodes.map((n) => n.start()));
    this.writeSshFiles();
  }

  /** A new VM from the current stable image, on the next free address. */
  async provision(machine: NewMachine): Promise<SimNode> {
    if (this.find(machine.name)) throw new Error(`a machine named ${machine.name} already exists`);
    const stable = this.opts.releases.latest('stable') ?? DEFAULT_RELEASES.stable;
    const node = this.create({
      name: machine.name,
      address: this.opts.sharedAddress ? this.opts.addressBase : nodeAddress(this.opts.addressBase, this.nextIndex++),
      sshPort: this.opts.sshPort,
      machineId: this.random.hex(32),
      version: stable.version,
      units: machine.updatesMasked ? 'kubermatic' : 'kubermatic-auto-update',
      updateConf: 'GROUP=stable\n',
      bytesPerSecond: Math.round(stable.size / this.random.int(60, 120)),
      previousVersion: null,
    });
    await node.start();
    this.writeSshFiles();
    this.opts.events.record({ node: node.name, kind: 'machine', from: null, to: 'provisioned', address: node.address, version: node.osRelease().versionId, updatesMasked: machine.updatesMasked });
    return node;
  }

  async remove(name: string): Promise<void> {
    const index = this.nodes.findIndex((n) => n.name === name);
    if (index < 0) return;
    const [node] = this.nodes.splice(index, 1);
    await node?.stop();
    this.writeSshFiles();
    this.opts.events.record({ node: name, kind: 'machine', from: 'provisioned', to: 'removed' });
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  private create(spec: NodeSpec): SimNode {
    const hostKey = loadOrCreateKeyPair(join(this.opts.stateDir, 'host-keys', `${spec.name}_ed25519`), `root@${spec.name}`);
    this.hostKeys.set(spec.name, hostKey);
    let replacement: string | undefined;
    const node = new SimNode(spec, {
      clock: systemClock,
      timeScale: this.opts.timeScale,
      random: this.random.next,
      faults: this.opts.faults,
      releases: this.opts.releases,
      events: this.opts.events,
      authorizedKeys: this.opts.authorizedKeys,
      scheduledUpdateChecks: this.opts.scheduledUpdateChecks,
      hostKey: { original: hostKey.private, replacement: () => (replacement ??= generateKeyPair(`root@${spec.name}`).private) },
    });
    this.nodes.push(node);
    return node;
  }

  private writeSshFiles(): void {
    const endpoints = this.nodes.map((n) => ({ name: n.name, address: n.address, port: n.sshPort, hostPublicKey: this.hostKeys.get(n.name)?.public ?? '' }));
    writeFileSync(this.opts.sshConfigPath, renderSshConfig(endpoints, this.opts.identityPath, this.opts.knownHostsPath));
    writeFileSync(this.opts.knownHostsPath, renderKnownHosts(endpoints));
  }
}
