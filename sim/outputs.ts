// Files the simulator leaves in its state directory for OpenSSH, kubectl, flatdeck and tests:
// id_ed25519(.pub), per-node host keys, ssh_config, known_hosts and the events.jsonl record.
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import type { EventSink, SimEvent } from './fleet/events.ts';

export interface KeyPair {
  /** OpenSSH private key */
  private: string;
  /** `ssh-ed25519 AAAA… comment` */
  public: string;
}

const ED25519_PUBLIC_BLOB_BYTES = 4 + 'ssh-ed25519'.length + 4 + 32;

function isUsableKeyPair(pair: KeyPair): boolean {
  const privateKey = ssh2.utils.parseKey(pair.private);
  const publicKey = ssh2.utils.parseKey(pair.public);
  return !(privateKey instanceof Error) && !(publicKey instanceof Error) && publicKey.getPublicSSH().length === ED25519_PUBLIC_BLOB_BYTES;
}

export function generateKeyPair(comment: string): KeyPair {
  // ssh2 drops a leading zero byte of about 1 in 400 ed25519 keys, leaving a key nothing can parse.
  for (;;) {
    const generated = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const pair = { private: generated.private, public: generated.public.trim() };
    if (isUsableKeyPair(pair)) return pair;
  }
}

/** Reuses the key pair at `path` (+ `.pub`) if present, so a restarted simulator keeps its identities. */
export function loadOrCreateKeyPair(path: string, comment: string): KeyPair {
  if (existsSync(path) && existsSync(`${path}.pub`)) {
    const existing = { private: readFileSync(path, 'utf8'), public: readFileSync(`${path}.pub`, 'utf8').trim() };
    if (isUsableKeyPair(existing)) return existing;
  }
  const pair = generateKeyPair(comment);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, pair.private, { mode: 0o600 });
  chmodSync(path, 0o600);
  writeFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
  return pair;
}

export interface SshEndpoint {
  name: string;
  address: string;
  port: number;
  hostPublicKey: string;
}

function configArg(value: string): string {
  return /\s/.test(value) ? `"${value}"` : value;
}

export function renderSshConfig(nodes: readonly SshEndpoint[], identityPath: string, knownHostsPath: string): string {
  const blocks = nodes.map((n) =>
    [
      `Host ${n.address} ${n.name}`,
      `  HostName ${n.address}`,
      `  Port ${n.port}`,
      '  User core',
      `  IdentityFile ${configArg(identityPath)}`,
      `  UserKnownHostsFile ${configArg(knownHostsPath)}`,
      '  IdentitiesOnly yes',
      '',
    ].join('\n'),
  );
  return `# flatdeck simulator: one block per Flatcar node\n\n${blocks.join('\n')}`;
}

export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function renderKnownHosts(nodes: readonly SshEndpoint[]): string {
  return nodes.map((n) => `${knownHostsName(n.address, n.port)} ${n.hostPublicKey.split(/\s+/).slice(0, 2).join(' ')}\n`).join('');
}

/** events.jsonl: one JSON object per node state change, appended synchronously so order is preserved. */
export class EventLog implements EventSink {
  private readonly listeners = new Set<(event: SimEvent) => void>();

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
  }

  record(event: Omit<SimEvent, 'ts'>): void {
    const full = { ts: new Date().toISOString(), ...event } as SimEvent;
    appendFileSync(this.path, `${JSON.stringify(full)}\n`);
    for (const listener of [...this.listeners]) listener(full);
  }

  onEvent(listener: (event: SimEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
