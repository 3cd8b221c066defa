import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultIdentityFiles } from './auth.ts';
import type { Endpoint } from './connect.ts';
import { SshError } from './errors.ts';
import type { HostKeyPolicy } from './host-key-verifier.ts';
import { expandPath, type HostConfig, type JumpHost, type SshConfigFile } from './ssh-config.ts';
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
  /** Like `ssh -J`: these hops replace ~/.ssh/config's ProxyJump for every node; each hop still gets its own look-up. */
  jumpHosts?: readonly JumpHost[];
  /** Like `ssh -i`: tried for every node before ~/.ssh/config's IdentityFile (`~` and `%` tokens expanded). */
  identityFiles?: readonly string[];
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
      strictHostKeyChecking: d.knownHosts?.strictHostKeyChecking ?? false,
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
      strictHostKeyChecking: hc.strictHostKeyChecking ?? d.knownHosts.strictHostKeyChecking,
    },
  };
}

function hostConfig(config: SshConfigFile | undefined, host: string): HostConfig {
  return config?.resolve(host) ?? { hostName: host, identityFiles: [], identitiesOnly: false, proxyJump: [], unsupported: [] };
}

/** `ssh -i FILE`: FILE first, then the config's IdentityFiles (OpenSSH's default files only when there are none). */
function withIdentities(hc: HostConfig, target: SshTarget, files: readonly string[], d: ReturnType<typeof defaultsFor>): HostConfig {
  if (files.length === 0) return hc;
  const tokens = { host: hc.hostName, original: target.host, port: target.port ?? hc.port ?? DEFAULT_PORT, user: target.user ?? hc.user ?? d.user, home: d.home };
  return { ...hc, identityFiles: [...files.map((f) => expandPath(f, tokens)), ...hc.identityFiles] };
}

/**
 * Applies ~/.ssh/config to a target the way `ssh -p PORT -l USER HOST` would: the target's explicit port and
 * user win, then the config, then port 22 and user `core`. Jump hosts get their own config look-up.
 */
export function planConnection(target: SshTarget, defaults: PlanDefaults): ConnectionPlan {
  const d = defaultsFor(defaults);
  const hc = withIdentities(hostConfig(defaults.sshConfig, target.host), target, defaults.identityFiles ?? [], d);
  // Like `ssh -J`, a jump host from Settings wins over the config's ProxyJump and ProxyCommand.
  const hops = defaults.jumpHosts?.length ? defaults.jumpHosts : hc.proxyJump;
  if (hops.length === 0 && hc.unsupported.includes('proxycommand')) {
    throw new SshError('unsupported-config',
      `~/.ssh/config sets ProxyCommand for ${target.host}; flatdeck never runs local commands. Use ProxyJump instead.`,
      { node: target.nodeName, host: target.host });
  }
  const jumps = hops.map((hop) => endpointFrom(hostConfig(defaults.sshConfig, hop.host), hop, d));
  const explicit = { ...(target.port === undefined ? {} : { port: target.port }), ...(target.user === undefined ? {} : { user: target.user }) };
  return { jumps, node: endpointFrom(hc, explicit, d) };
}
