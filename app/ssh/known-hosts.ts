import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keyTypeOfBlob, sha256Fingerprint } from './fingerprint.ts';
import type { KnownHostKey } from './types.ts';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | null;
  hosts: string;      // the raw host field: patterns, or `|1|salt|hash`
  keyType: string;
  keyBlob: Buffer;
  file: string;
  line: number;
}

export type HostKeyCheck =
  | { status: 'known' }
  | { status: 'unknown'; otherKeys: KnownHostKey[] }
  | { status: 'changed'; knownFingerprints: string[]; file: string; line: number }
  | { status: 'revoked'; file: string; line: number }
  | { status: 'cert-authority-only'; file: string; line: number };

/** How OpenSSH names a host in known_hosts: bare for port 22, `[host]:port` otherwise; lowercase. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatch(field: string, name: string): boolean {
  const parts = field.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const expected = Buffer.from(parts[3]!, 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Comma-separated patterns with `*`, `?` and `!` negation; a matching negation vetoes the line. */
function hostsMatch(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatch(field, name);
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (pattern === '' || !globToRegExp(pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function parseLine(text: string, file: string, line: number): KnownHostEntry | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const fields = trimmed.split(/\s+/);
  let marker: KnownHostEntry['marker'] = null;
  if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
    marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
    fields.shift();
  } else if (fields[0]?.startsWith('@')) {
    return undefined; // unknown marker: OpenSSH ignores the line too
  }
  const [hosts, keyType, base64] = fields;
  if (!hosts || !keyType || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const keyBlob = Buffer.from(base64, 'base64');
  if (keyTypeOfBlob(keyBlob) !== keyType) return undefined;
  return { marker, hosts, keyType, keyBlob, file, line };
}

/** The known_hosts files OpenSSH would consult, read once; look-ups do not touch the disk. */
export class KnownHosts {
  readonly #entries: KnownHostEntry[];
  private constructor(entries: KnownHostEntry[]) {
    this.#entries = entries;
  }

  static fromText(text: string, file = '(text)'): KnownHosts {
    return new KnownHosts(parseText(text, file));
  }

  /** Missing files are normal (no known hosts yet) and are skipped. */
  static async load(files: readonly string[]): Promise<KnownHosts> {
    const entries: KnownHostEntry[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return '';
        throw e;
      });
      entries.push(...parseText(text, file));
    }
    return new KnownHosts(entries);
  }

  check(host: string, port: number, keyBlob: Buffer): HostKeyCheck {
    const name = knownHostName(host, port);
    const keyType = keyTypeOfBlob(keyBlob) ?? '';
    const matching = this.#entries.filter((e) => hostsMatch(e.hosts, name));
    const revoked = this.#entries.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob));
    if (revoked) return { status: 'revoked', file: revoked.file, line: revoked.line };
    const plain = matching.filter((e) => e.marker === null);
    if (plain.some((e) => e.keyBlob.equals(keyBlob))) return { status: 'known' };
    const sameType = plain.filter((e) => e.keyType === keyType);
    if (sameType.length > 0) {
      return {
        status: 'changed',
        knownFingerprints: sameType.map((e) => sha256Fingerprint(e.keyBlob)),
        file: sameType[0]!.file,
        line: sameType[0]!.line,
      };
    }
    if (plain.length > 0) {
      return { status: 'unknown', otherKeys: plain.map((e) => ({ keyType: e.keyType, fingerprint: sha256Fingerprint(e.keyBlob), file: e.file, line: e.line })) };
    }
    const ca = matching.find((e) => e.marker === 'cert-authority');
    if (ca) return { status: 'cert-authority-only', file: ca.file, line: ca.line };
    return { status: 'unknown', otherKeys: [] };
  }

  /** Key types already recorded for the host, so the handshake can prefer them (as OpenSSH does). */
  knownKeyTypes(host: string, port: number): string[] {
    const name = knownHostName(host, port);
    return [...new Set(this.#entries.filter((e) => e.marker === null && hostsMatch(e.hosts, name)).map((e) => e.keyType))];
  }
}

/** The usable lines of one known_hosts text (also for listing them in the settings view). */
export function parseText(text: string, file: string): KnownHostEntry[] {
  return text.split('\n').flatMap((line, i) => parseLine(line, file, i + 1) ?? []);
}

function hashHostName(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

export function formatKnownHostLine(host: string, port: number, keyBlob: Buffer, opts: { hashed: boolean }): string {
  const name = knownHostName(host, port);
  const keyType = keyTypeOfBlob(keyBlob);
  if (!keyType) throw new TypeError('not an SSH public key blob');
  return `${opts.hashed ? hashHostName(name) : name} ${keyType} ${keyBlob.toString('base64')}`;
}

/** Records an accepted key the way `ssh` does: one appended line, the file and its folder created if needed. */
export async function appendKnownHost(file: string, host: string, port: number, keyBlob: Buffer, opts: { hashed: boolean }): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const existing = await readFile(file, 'utf8').catch(() => '');
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${separator}${formatKnownHostLine(host, port, keyBlob, opts)}\n`, { mode: 0o600 });
}

/** Like `ssh-keygen -R`: drops the host's plain and hashed key lines (not @revoked/@cert-authority). */
export async function removeKnownHost(file: string, host: string, port: number): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const name = knownHostName(host, port);
  let removed = 0;
  const kept = text.split('\n').filter((line, i) => {
    const entry = parseLine(line, file, i + 1);
    const drop = entry !== undefined && entry.marker === null && hostsMatch(entry.hosts, name);
    if (drop) removed++;
    return !drop;
  });
  if (removed > 0) {
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, kept.join('\n'), { mode: 0o600 });
    await rename(tmp, file);
  }
  return removed;
}
