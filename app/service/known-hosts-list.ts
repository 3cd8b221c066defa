import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { KnownHostEntry } from '../api/settings.ts';
import { sha256Fingerprint } from '../ssh/fingerprint.ts';
import { parseText } from '../ssh/known-hosts.ts';

type Entry = z.infer<typeof KnownHostEntry>;

const BRACKETED = /^\[([^\]]+)\]:(\d{1,5})$/;

/**
 * The host keys recorded in one known_hosts file, one entry per host pattern: `[host]:port` split, hashed names
 * (`|1|…`) kept as they are since they cannot be reversed. @revoked and @cert-authority lines are not host keys
 * and are left out.
 */
export async function listKnownHosts(file: string): Promise<Entry[]> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  return parseText(text, file).flatMap((line): Entry[] => {
    if (line.marker !== null) return [];
    const fingerprint = sha256Fingerprint(line.keyBlob);
    if (line.hosts.startsWith('|')) return [{ host: line.hosts, port: 22, keyType: line.keyType, fingerprint, hashed: true }];
    return line.hosts
      .split(',')
      .filter((p) => p !== '' && !p.startsWith('!'))
      .map((pattern) => {
        const m = BRACKETED.exec(pattern);
        return { host: m ? m[1]! : pattern, port: m ? Number(m[2]) : 22, keyType: line.keyType, fingerprint, hashed: false };
      });
  });
}
