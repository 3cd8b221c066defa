/**
 * The two USR partitions of a Flatcar disk and Flatcar's manual rollback (flatcar-docs
 * setup/debug/manual-rollbacks.md): `rootdev -s /usr` names the booted partition, `cgpt show` gives every
 * partition's priority/tries/successful, the other partition's release is read from the partition itself
 * (mounted read-only), and `cgpt prioritize` on it makes it boot next.
 */
import type { UsrPartition, UsrPartitions } from '../api/rollback.ts';
import { command, type Command } from './command.ts';
import { parseFailure } from './errors.ts';

/** Where the other partition is mounted to read its release; under /run, so a crash leaves nothing past a boot. */
export const OTHER_USR_MOUNT = '/run/flatdeck-usr-other';

export const rootdevUsr = (): Command => command(['rootdev', '-s', '/usr']);
export const cgptShow = (disk: string): Command => command(['cgpt', 'show', disk], true);
export const mountReadOnly = (device: string): Command => command(['mount', '--mkdir', '-o', 'ro', device, OTHER_USR_MOUNT], true);
export const readMountedRelease = (): Command => command(['cat', `${OTHER_USR_MOUNT}/share/flatcar/release`]);
export const unmountOther = (): Command => command(['umount', OTHER_USR_MOUNT], true);
export const cgptPrioritize = (device: string): Command => command(['cgpt', 'prioritize', device], true);

/** `/dev/sda4` → `/dev/sda`; `/dev/nvme0n1p4` → `/dev/nvme0n1`. */
export function diskOf(partition: string): { disk: string; number: number } {
  const m = /^(\/dev\/(?:nvme\d+n\d+|mmcblk\d+|loop\d+)p|\/dev\/[a-z]+)(\d+)$/.exec(partition);
  if (!m) throw parseFailure('rootdev -s /usr', `not a partition device: ${JSON.stringify(partition.slice(0, 80))}`);
  return { disk: (m[1] as string).replace(/p$/, ''), number: Number(m[2]) };
}

export function parseRootdev(stdout: string): string {
  const device = stdout.trim();
  diskOf(device);
  return device;
}

type Attributes = Omit<UsrPartition, 'version' | 'device'> & { number: number };

/** The USR partitions of a `cgpt show DISK` listing (a "Label:" row with its number, then its Type/Attr lines). */
export function parseCgptShow(stdout: string): Attributes[] {
  const found: Attributes[] = [];
  let current: { number: number; label: string; usr: boolean } | null = null;
  const lines = stdout.split('\n');
  lines.forEach((line, i) => {
    const head = /^\s*\d+\s+\d+\s+(\d+)\s+Label: "([^"]*)"/.exec(line);
    if (head) {
      current = { number: Number(head[1]), label: head[2] as string, usr: /^USR-[AB]$/.test(head[2] as string) };
      return;
    }
    if (current && /^\s+Type: Alias for (?:flatcar|coreos)-(?:rootfs|usr)\s*$/.test(line)) current.usr = true;
    const attr = /^\s+Attr: priority=(\d+) tries=(\d+) successful=([01])/.exec(line);
    if (attr && current?.usr) {
      found.push({ number: current.number, label: current.label, priority: Number(attr[1]), tries: Number(attr[2]), successful: attr[3] === '1' });
      current = null;
    } else if (attr === null && /^\s+Attr: /.test(line) && current?.usr) {
      throw parseFailure('cgpt show', `unexpected attributes of ${current.label}: ${line.trim()}`, i + 1);
    }
  });
  if (found.length !== 2) throw parseFailure('cgpt show', `expected the two USR partitions (USR-A, USR-B), found ${found.length}`);
  return found;
}

export function parseReleaseVersion(stdout: string): string {
  const m = /^FLATCAR_RELEASE_VERSION=(\d+\.\d+\.\d+)$/m.exec(stdout);
  if (!m) throw parseFailure('the release of the other USR partition', 'no FLATCAR_RELEASE_VERSION line');
  return m[1] as string;
}

/** GRUB's choice (gptprio.next): the highest-priority partition that is successful or still has tries. */
export function nextBootOf(booted: Omit<UsrPartition, 'device'>, other: Omit<UsrPartition, 'device'>): 'booted' | 'other' {
  const bootable = (p: Omit<UsrPartition, 'device'>) => p.priority > 0 && (p.successful || p.tries > 0) && p.version !== null;
  if (!bootable(other)) return 'booted';
  return !bootable(booted) || other.priority > booted.priority ? 'other' : 'booted';
}

export type { UsrPartition };
/** The partitions as read from the node (what a rollback would do is derived by planRollback). */
export type UsrPartitionsRead = Omit<UsrPartitions, 'rollback'>;

export type RollbackPlan =
  | { kind: 'rollback'; version: string; device: string; alreadyPrioritized: boolean }
  /** the other partition holds an update staged but not booted yet: going back means discarding it, no reboot */
  | { kind: 'discard-staged'; version: string | null }
  | { kind: 'impossible'; reason: string };

/** What "roll back" means on a node with these partitions, or why it cannot be done. */
export function planRollback(p: UsrPartitionsRead): RollbackPlan {
  const { other } = p;
  const where = `the other USR partition (${other.label}, ${other.device})`;
  if (p.nextBoot === 'other' && !other.successful) return { kind: 'discard-staged', version: other.version };
  if (other.version === null) return { kind: 'impossible', reason: `${where} holds no Flatcar release: this machine has never been updated, so there is nothing to go back to` };
  if (!other.successful) {
    return { kind: 'impossible', reason: `${where} holds ${other.version}, which never booted successfully (GRUB fell back from it or its update was discarded); rolling back to it could leave the node unbootable` };
  }
  return { kind: 'rollback', version: other.version, device: other.device, alreadyPrioritized: p.nextBoot === 'other' };
}
