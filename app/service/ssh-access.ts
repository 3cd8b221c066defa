import { ApiError } from '../api/errors.ts';
import type { NodeSummary } from '../api/nodes.ts';
import type { CommandEvent } from '../api/pipeline.ts';
import type { Settings } from '../api/settings.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { flatcarNode, type FlatcarNode } from '../flatcar/node.ts';
import { resolveSshTarget, type AddressSetting } from '../ssh/address.ts';
import { SshPool } from '../ssh/pool.ts';
import { parseProxyJump, SshConfigFile, type JumpHost } from '../ssh/ssh-config.ts';
import type { SshPrompter, SshTarget } from '../ssh/types.ts';
import { DEMO_CLUSTER_ID } from './cluster-registry.ts';
import type { DemoFiles } from './context.ts';
import type { SettingsStore } from './settings-store.ts';

/** Which OpenSSH files a pool reads; the demo cluster has its own. */
export interface SshProfile {
  sshConfigPath: string | null;
  knownHostsPath: string | null;
  connectTimeoutMs: number;
  defaultUser: string;
  useAgent: boolean;
  /** Settings `ssh.jumpHost`, like `ssh -J`: `[user@]host[:port]` hops, comma-separated. */
  jumpHost: string | null;
  /** Settings `ssh.identityFile`, like `ssh -i`. */
  identityFile: string | null;
}

/** Creates the pool for a profile (tests inject their own; the default reads the OpenSSH files). */
export type SshPoolFactory = (profile: SshProfile, prompter: SshPrompter) => Promise<SshPool>;

export const defaultSshPoolFactory: SshPoolFactory = async (profile, prompter) =>
  new SshPool({
    prompter,
    sshConfig: await SshConfigFile.load(profile.sshConfigPath ?? join(homedir(), '.ssh', 'config')),
    ...(profile.knownHostsPath ? { knownHosts: { userKnownHostsFiles: [profile.knownHostsPath] } } : {}),
    defaultUser: profile.defaultUser,
    connectTimeoutMs: profile.connectTimeoutMs,
    ...(profile.useAgent ? {} : { agentSocket: null }),
    ...(profile.jumpHost ? { jumpHosts: parseJumpHostSetting(profile.jumpHost) } : {}),
    ...(profile.identityFile ? { identityFiles: [profile.identityFile] } : {}),
  });

/** The `ssh.jumpHost` setting as hops; a value that is not `[user@]host[:port][,…]` is the operator's to fix. */
export function parseJumpHostSetting(value: string): JumpHost[] {
  try {
    return parseProxyJump(value, 'the nodes');
  } catch {
    throw new ApiError('invalid-request', `The jump host "${value}" is not [user@]host[:port] (several hops separated by commas).`, { jumpHost: value });
  }
}

function addressSetting(s: Settings['ssh']): AddressSetting {
  return s.addressType === 'template' ? { kind: 'template', template: s.addressTemplate ?? '' } : { kind: s.addressType };
}

/** SSH pools per profile (operator's files, or the demo's) and where to dial each node of a cluster. */
export class SshAccess {
  private readonly pools = new Map<string, Promise<SshPool>>();

  constructor(
    private readonly settings: SettingsStore,
    private readonly prompter: SshPrompter,
    private readonly factory: SshPoolFactory,
    private readonly overrides: { demo?: DemoFiles; sshConfigPath?: string; knownHostsPath?: string },
  ) {}

  profile(clusterId: string): SshProfile {
    const s = this.settings.get();
    const common = { connectTimeoutMs: s.timeouts.sshConnectSeconds * 1000, defaultUser: s.ssh.user, useAgent: s.ssh.useAgent };
    if (clusterId === DEMO_CLUSTER_ID && this.overrides.demo) {
      // The demo's nodes are on this machine: the operator's user, bastion and key are for their own clusters.
      const demo = this.overrides.demo;
      return { ...common, sshConfigPath: demo.sshConfigPath, knownHostsPath: demo.knownHostsPath, defaultUser: 'core', jumpHost: null, identityFile: null };
    }
    return {
      ...common,
      sshConfigPath: this.overrides.sshConfigPath ?? s.sshConfigPath,
      knownHostsPath: this.overrides.knownHostsPath ?? s.knownHostsPath,
      jumpHost: s.ssh.jumpHost,
      identityFile: s.ssh.identityFile,
    };
  }

  /** The pool for a cluster; pools are shared by clusters with the same profile and rebuilt when it changes. */
  pool(clusterId: string): Promise<SshPool> {
    const profile = this.profile(clusterId);
    const key = JSON.stringify(profile);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = this.factory(profile, this.prompter);
      this.pools.set(key, pool);
      pool.catch(() => this.pools.delete(key));
    }
    return pool;
  }

  /** Where to SSH for a node under the cluster's address setting and per-node overrides. */
  target(clusterId: string, node: NodeSummary): SshTarget {
    const s = this.settings.get().ssh;
    const addresses = (
      [
        ['InternalIP', node.addresses.internalIP],
        ['ExternalIP', node.addresses.externalIP],
        ['Hostname', node.addresses.hostname],
      ] as const
    ).flatMap(([type, address]) => (address ? [{ type, address }] : []));
    const override = s.nodeOverrides[node.name];
    // The demo's nodes by name: its ssh_config maps each name to the node's address and port (on macOS every
    // node is 127.0.0.1, told apart only by the port).
    const setting: AddressSetting = clusterId === DEMO_CLUSTER_ID && this.overrides.demo ? { kind: 'Hostname' } : addressSetting(s);
    const result = resolveSshTarget({ name: node.name, addresses }, setting, override ? { host: override } : {});
    if (!result.ok) throw new ApiError('ssh-unreachable', result.message, { cluster: clusterId, node: node.name });
    return result.target;
  }

  /** The Flatcar adapter for one node outside a pipeline run; its commands go to the node's terminal. */
  async flatcarNode(clusterId: string, node: NodeSummary, emit: (e: { topic: 'command'; payload: CommandEvent }) => void): Promise<FlatcarNode> {
    const pool = await this.pool(clusterId);
    return flatcarNode({ shell: pool.shell(this.target(clusterId, node)), cluster: clusterId, runId: null, onCommand: (payload) => emit({ topic: 'command', payload }) });
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.then((pool) => pool.close(), () => undefined)));
  }
}
