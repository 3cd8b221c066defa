import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultIdentityFiles } from './auth.ts';
import type { Endpoint } from './connect.ts';
import { SshError } from './errors.ts';
import type { HostKeyPolicy } from './host-key-verifier.ts';
import type { HostConfig, SshConfigFile } from './ssh-config.ts';
import type { SshTarget } from './types.ts';

export interface PlanDefaults {
  sshConfig?: SshConfigFile;
  home?: string;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; null = never use an agent */
  agentSocket?: string | null;
  /** used where ~/.ssh/config does not say */
  knownHosts?: Partial<HostKeyPolicy>;
  /** Flatcar's login user */
  defaultUser?: string;
}

/** The node and the jump hosts before it, in dialling order. */
export interface ConnectionPlan {
  jumps: Endpoint[];
  node: Endpoint;
}

const DEFAULT_PORT = 22;

export function endpointKey(ep: Endpoint): string {
  return `${ep.user}@${ep.host}:${ep.port}`;
}

function defaultsFor(d: PlanDefaults) {
  const home = d.home ?? homedir();
  return {
    home,
    user: d.defaultUser ?? 'core',
    agentSocket: d.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : d.agentSocket ?? undefined,
    knownHosts: {
      userKnownHostsFiles: d.knownHosts?.userKnownHostsFiles ?? [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')],
      globalKnownHostsFiles: d.knownHosts?.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      hashKnownHosts: d.knownHosts?.hashKnownHosts ?? false,
    },
  };
}

function endpointFrom(hc: HostConfig, explicit: { port?: number; user?: string }, d: ReturnType<typeof defaultsFor>): Endpoint {
  const agent = hc.identityAgent === 'none' ? undefined
    : hc.identityAgent === undefined || hc.identityAgent === 'SSH_AUTH_SOCK' ? d.agentSocket : hc.identityAgent;
  return {
    host: hc.hostName,
    port: explicit.port ?? hc.port ?? DEFAULT_PORT,
    user: explicit.user ?? hc.user ?? d.user,
    identityFiles: hc.identityFiles.length > 0 ? hc.identityFiles : defaultIdentityFiles(d.home),
    ...(agent ? { agentSocket: agent } : {}),
    identitiesOnly: hc.identitiesOnly,
    knownHosts: {
      userKnownHostsFiles: hc.userKnownHostsFiles ?? d.knownHosts.userKnownHostsFiles,
      globalKnownHostsFiles: hc.globalKnownHostsFiles ?? d.knownHosts.globalKnownHostsFiles,
      hashKnownHosts: hc.hashKnownHosts ?? d.knownHosts.hashKnownHosts,
    },
  };
}

function hostConfig(config: SshConfigFile | undefined, host: string): HostConfig {
  return config?.resolve(host) ?? { hostName: host, identityFiles: [], identitiesOnly: false, proxyJump: [], unsupported: [] };
}

/**
 * Applies ~/.ssh/config to a target the way `ssh -p PORT -l USER HOST` would: the target's explicit port and
 * user win, then the config, then port 22 and user `core`. Jump hosts get their own config look-up.
 */
export function planConnection(target: SshTarget, defaults: PlanDefaults): ConnectionPlan {
  const d = defaultsFor(defaults);
  const hc = hostConfig(defaults.sshConfig, target.host);
  if (hc.proxyJump.length === 0 && hc.unsupported.includes('proxycommand')) {
    throw new SshError('unsupported-config',
      `~/.ssh/config sets ProxyCommand for ${target.host}; flatdeck never runs local commands. Use ProxyJump instead.`,
      { node: target.nodeName, host: target.host });
  }
  const jumps = hc.proxyJump.map((hop) => endpointFrom(hostConfig(defaults.sshConfig, hop.host), hop, d));
  const explicit = { ...(target.port === undefined ? {} : { port: target.port }), ...(target.user === undefined ? {} : { user: target.user }) };
  return { jumps, node: endpointFrom(hc, explicit, d) };
}
