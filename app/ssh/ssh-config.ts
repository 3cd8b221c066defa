import { readFile, readdir } from 'node:fs/promises';
import { homedir, hostname as localHostname, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig, { LineType, type Directive, type Line } from 'ssh-config';
import { SshError } from './errors.ts';

export interface JumpHost {
  host: string;
  user?: string;
  port?: number;
}

/** What ~/.ssh/config says about one host, with `~` and `%` tokens expanded. */
export interface HostConfig {
  hostName: string;
  user?: string;
  port?: number;
  identityFiles: string[];                 // in order; empty = OpenSSH's defaults
  identitiesOnly: boolean;
  identityAgent?: string;                  // 'none' disables the agent
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  hashKnownHosts?: boolean;
  /** StrictHostKeyChecking=yes: refuse hosts whose key is not known */
  strictHostKeyChecking?: boolean;
  proxyJump: JumpHost[];                   // empty = direct
  connectTimeoutSeconds?: number;
  serverAliveIntervalSeconds?: number;
  serverAliveCountMax?: number;
  /** directives present for this host that flatdeck deliberately does not honour */
  unsupported: string[];
}

const MAX_INCLUDE_DEPTH = 16; // OpenSSH's READCONF_MAX_DEPTH
const UNSUPPORTED = ['proxycommand', 'knownhostscommand', 'localcommand', 'remotecommand'];

interface LoadOptions {
  home?: string;
}

/**
 * ~/.ssh/config through the `ssh-config` library, made safe: `Match exec` blocks never match and are removed
 * before evaluation, CanonicalizeHostname (which would run nslookup) is dropped, and nothing is ever spawned.
 * `Include` is followed here because the library only parses it.
 */
export class SshConfigFile {
  readonly #config: SSHConfig;
  readonly #home: string;

  private constructor(config: SSHConfig, home: string) {
    this.#config = config;
    this.#home = home;
  }

  static parse(text: string, opts: LoadOptions = {}, source = 'ssh config'): SshConfigFile {
    let parsed: SSHConfig;
    try {
      parsed = SSHConfig.parse(text);
    } catch (e) {
      throw new SshError('unsupported-config', `${source}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return new SshConfigFile(neutralise(parsed), opts.home ?? homedir());
  }

  /** A missing file is an empty config. */
  static async load(path: string, opts: LoadOptions = {}): Promise<SshConfigFile> {
    const home = opts.home ?? homedir();
    const text = await expandIncludes(path, join(home, '.ssh'), home, 0);
    return SshConfigFile.parse(text, { home }, path);
  }

  resolve(host: string): HostConfig {
    // Patterns see the host as typed (case-sensitive, like OpenSSH); the name dialled is lowercased.
    let c: Record<string, string | string[]>;
    try {
      c = withHostPatternsDecided(this.#config, host, () => this.#config.compute(host, { ignoreCase: true, matchExec: false }));
    } catch (e) {
      throw new SshError('unsupported-config', `ssh config for ${host}: ${e instanceof Error ? e.message : String(e)}`, { host });
    }
    const str = (key: string): string | undefined => {
      const v = c[key];
      return Array.isArray(v) ? v[0] : v;
    };
    const list = (key: string): string[] | undefined => {
      const v = c[key];
      if (v === undefined) return undefined;
      return (Array.isArray(v) ? v : v.split(/\s+/)).filter((s) => s !== '');
    };
    const lower = host.toLowerCase();
    const hostName = (str('hostname') ?? lower).replaceAll('%h', lower).replaceAll('%%', '%');
    const user = str('user');
    const port = optionalInt(str('port'), 'Port', host);
    const tokens = { host: hostName, original: host, port: port ?? 22, user: user ?? '', home: this.#home };
    const paths = (key: string) => list(key)?.map((p) => expandPath(p, tokens));
    const result: HostConfig = {
      hostName,
      identityFiles: paths('identityfile') ?? [],
      identitiesOnly: yes(str('identitiesonly')),
      proxyJump: parseProxyJump(str('proxyjump'), host),
      unsupported: UNSUPPORTED.filter((k) => c[k] !== undefined),
    };
    if (user !== undefined) result.user = user;
    if (port !== undefined) result.port = port;
    const agent = str('identityagent');
    if (agent !== undefined) result.identityAgent = agent === 'none' || agent === 'SSH_AUTH_SOCK' ? agent : expandPath(agent, tokens);
    const userFiles = paths('userknownhostsfile');
    if (userFiles) result.userKnownHostsFiles = userFiles;
    const globalFiles = paths('globalknownhostsfile');
    if (globalFiles) result.globalKnownHostsFiles = globalFiles;
    if (str('hashknownhosts') !== undefined) result.hashKnownHosts = yes(str('hashknownhosts'));
    if (str('stricthostkeychecking') !== undefined) result.strictHostKeyChecking = yes(str('stricthostkeychecking'));
    const timeout = optionalInt(str('connecttimeout'), 'ConnectTimeout', host);
    if (timeout !== undefined) result.connectTimeoutSeconds = timeout;
    const aliveInterval = optionalInt(str('serveraliveinterval'), 'ServerAliveInterval', host);
    if (aliveInterval !== undefined) result.serverAliveIntervalSeconds = aliveInterval;
    const aliveCount = optionalInt(str('serveralivecountmax'), 'ServerAliveCountMax', host);
    if (aliveCount !== undefined) result.serverAliveCountMax = aliveCount;
    return result;
  }
}

const NEVER_MATCHES = '\u0000'; // no host name contains NUL

/** ssh_config(5) PATTERNS: `*` any run, `?` exactly one character, a matching `!pattern` vetoes the line. */
function hostPatternsMatch(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const body = (negated ? raw.slice(1) : raw).replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
    if (!new RegExp(`^${body}$`).test(host)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/**
 * Runs `compute` with every Host line decided by OpenSSH's pattern rules (the library's own matcher lets `?`
 * match zero characters): each Host value is swapped for `*` or a never-matching pattern, then restored.
 */
function withHostPatternsDecided<T>(config: SSHConfig, host: string, compute: () => T): T {
  const swapped: Array<{ line: Line & { value: Directive['value'] }; value: Directive['value'] }> = [];
  for (const line of config) {
    if (line.type !== LineType.DIRECTIVE || !/^host$/i.test(line.param)) continue;
    const patterns = Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/[\s,]+/);
    swapped.push({ line, value: line.value });
    line.value = hostPatternsMatch(patterns.flatMap((p) => p.split(',')).filter((p) => p !== ''), host) ? '*' : NEVER_MATCHES;
  }
  try {
    return compute();
  } finally {
    for (const { line, value } of swapped) line.value = value;
  }
}

function yes(v: string | undefined): boolean {
  return v !== undefined && /^(yes|true)$/i.test(v);
}

function optionalInt(v: string | undefined, directive: string, host: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v)) throw new SshError('unsupported-config', `~/.ssh/config: ${directive} "${v}" for ${host} is not a number`, { host });
  return Number(v);
}

/** `[user@]host[:port]` hops separated by commas; `none` disables jumping. */
export function parseProxyJump(value: string | undefined, forHost: string): JumpHost[] {
  if (value === undefined || value.toLowerCase() === 'none') return [];
  return value.split(',').map((hop) => {
    const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d{1,5}))?$/.exec(hop.trim());
    if (!m) throw new SshError('unsupported-config', `~/.ssh/config: ProxyJump hop "${hop}" for ${forHost} is not [user@]host[:port]`, { host: forHost });
    const jump: JumpHost = { host: m[2]!.replace(/^\[(.*)\]$/, '$1') };
    if (m[1] !== undefined) jump.user = m[1];
    if (m[3] !== undefined) jump.port = Number(m[3]);
    return jump;
  });
}

export interface Tokens { host: string; original: string; port: number; user: string; home: string }

/** ssh_config(5) TOKENS that make sense without running anything, and a leading `~`. */
export function expandPath(path: string, t: Tokens): string {
  const local = safeUserName();
  const withTokens = path.replace(/%([%dhpnruLl])/g, (_, c: string) => ({
    '%': '%', d: t.home, h: t.host, p: String(t.port), n: t.original, r: t.user, u: local,
    L: localHostname().split('.')[0]!, l: localHostname(),
  })[c]!);
  if (withTokens === '~') return t.home;
  return withTokens.startsWith('~/') ? join(t.home, withTokens.slice(2)) : withTokens;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

/** Removes what could make evaluation run a program. */
function neutralise(config: SSHConfig): SSHConfig {
  const isMatchExec = (line: Line) => line.type === LineType.DIRECTIVE && 'criteria' in line &&
    Object.keys(line.criteria).some((k) => k.toLowerCase() === 'exec');
  const isCanonicalize = (line: Line) => line.type === LineType.DIRECTIVE && /^canonicalizehostname$/i.test(line.param);
  const strip = (lines: SSHConfig) => {
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i]!;
      if (isMatchExec(line) || isCanonicalize(line)) lines.splice(i, 1);
      else if ('config' in line) strip(line.config);
    }
  };
  strip(config);
  return config;
}

const INCLUDE = /^\s*include\s+(.+?)\s*$/i;
const BLOCK_START = /^\s*(host|match)\s/i;

/**
 * Splices `Include`d files into the text. A block interrupted by an Include is reopened after the included
 * text, so the lines that follow keep their Host/Match condition.
 */
async function expandIncludes(path: string, relativeTo: string, home: string, depth: number): Promise<string> {
  if (depth > MAX_INCLUDE_DEPTH) throw new SshError('unsupported-config', `~/.ssh/config: Include nested deeper than ${MAX_INCLUDE_DEPTH} at ${path}`);
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || (depth > 0 && e.code === 'EISDIR')) return '';
    throw e;
  });
  const out: string[] = [];
  let currentBlock: string | undefined;
  for (const line of text.split('\n')) {
    const m = INCLUDE.exec(line);
    if (!m) {
      if (BLOCK_START.test(line)) currentBlock = line;
      out.push(line);
      continue;
    }
    for (const pattern of m[1]!.split(/\s+/)) {
      const expanded = pattern.startsWith('~/') ? join(home, pattern.slice(2)) : pattern;
      const absolute = isAbsolute(expanded) ? expanded : join(relativeTo, expanded);
      for (const file of await globFiles(absolute)) out.push(await expandIncludes(file, relativeTo, home, depth + 1));
    }
    if (currentBlock !== undefined) out.push(currentBlock);
  }
  return out.join('\n');
}

/** Wildcards in the last path component only, sorted like glob(3). */
async function globFiles(pattern: string): Promise<string[]> {
  const name = basename(pattern);
  if (!/[*?]/.test(name)) return [pattern];
  const dir = dirname(pattern);
  const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries.filter((e) => re.test(e) && !e.startsWith('.')).sort().map((e) => join(dir, e));
}
