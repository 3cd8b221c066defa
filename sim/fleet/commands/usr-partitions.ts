// The tools of Flatcar's manual rollback (flatcar-docs setup/debug/manual-rollbacks.md): `rootdev -s /usr`
// names the booted USR partition, `cgpt show|find|prioritize|add` read and change the GPT attributes GRUB
// boots by, and `mount -o ro` of the other partition is how its release is read (util-linux messages).
import { DISK, type PartitionNumber, renderCgptShow, type UsrPartition } from '../usr-slots.ts';
import type { Invocation, SimCommand } from './process.ts';

const CORE_UID = 500;
const partitionDevice = (n: PartitionNumber) => `${DISK}${n}`;

function partitionOf(inv: Invocation, device: string): PartitionNumber | null {
  const m = /^\/dev\/sda(\d+)$/.exec(device);
  const found = m ? inv.host.usrSlots.partition(Number(m[1])) : undefined;
  return found ? found.number : null;
}

/** `rootdev [-s] [-d] [PATH]`: the block device a path lives on (-d: the whole disk). */
export const rootdev: SimCommand = ({ argv, host, io }) => {
  const args = argv.slice(1);
  const disk = args.includes('-d');
  const path = args.filter((a) => !a.startsWith('-'))[0] ?? '/';
  if (disk) io.stdout(`${DISK}\n`);
  else io.stdout(path === '/usr' || path.startsWith('/usr/') ? `${partitionDevice(host.usrSlots.bootedPartition().number)}\n` : `${DISK}9\n`);
  return 0;
};

/** Reads `-X value` options, then the device. */
function options(args: readonly string[]): { opts: Map<string, string>; device: string | undefined } {
  const opts = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (/^-[A-Za-z]$/.test(a)) opts.set(a.slice(1), args[++i] ?? '');
    else if (/^-[A-Za-z].+$/.test(a)) opts.set(a.slice(1, 2), a.slice(2));
    else rest.push(a);
  }
  return { opts, device: rest[0] };
}

/** A partition given as /dev/sdaN, or as `-i N /dev/sda`. */
function targetPartition(inv: Invocation, opts: Map<string, string>, device: string | undefined): PartitionNumber | null {
  if (opts.has('i') && device === DISK) return partitionOf(inv, `${DISK}${opts.get('i')}`);
  return device ? partitionOf(inv, device) : null;
}

export const cgpt: SimCommand = (inv) => {
  const { io, host, root } = inv;
  const [sub, ...args] = inv.argv.slice(1);
  const { opts, device } = options(args);
  if (sub === 'find') {
    if (opts.get('t') !== 'flatcar-usr' && opts.get('t') !== 'flatcar-rootfs' && opts.get('t') !== 'coreos-usr') return 1;
    if (!root) {
      io.stderr(`ERROR: Can't open ${DISK}: Permission denied\n`);
      return 1;
    }
    io.stdout(`${partitionDevice(3)}\n${partitionDevice(4)}\n`);
    return 0;
  }
  if (sub !== 'show' && sub !== 'prioritize' && sub !== 'add') {
    io.stderr(`Unknown cgpt command: ${sub ?? ''}\n`);
    return 1;
  }
  if (device === undefined) {
    io.stderr(`ERROR: missing drive argument\n`);
    return 1;
  }
  if (!root) {
    io.stderr(`ERROR: Can't open ${DISK}: Permission denied\n`);
    return 1;
  }
  if (sub === 'show') {
    if (device !== DISK) {
      io.stderr(`ERROR: Can't open ${device}: No such file or directory\n`);
      return 1;
    }
    io.stdout(renderCgptShow(host.usrSlots));
    return 0;
  }
  const number = targetPartition(inv, opts, device);
  if (number === null) {
    io.stderr(`ERROR: ${device} is not a USR partition of ${DISK}\n`);
    return 1;
  }
  const before = host.usrSlots.nextBoot()?.version ?? null;
  if (sub === 'prioritize') host.usrSlots.prioritize(number);
  else {
    const partition = host.usrSlots.partition(number) as UsrPartition;
    if (opts.has('S')) partition.successful = opts.get('S') === '1';
    if (opts.has('T')) partition.tries = Number(opts.get('T'));
    if (opts.has('P')) partition.priority = Number(opts.get('P'));
  }
  const after = host.usrSlots.nextBoot()?.version ?? null;
  if (after !== before) host.recordBootOrder(before, after);
  return 0;
};

/** `mount [--mkdir] -o ro DEVICE DIR`: a USR partition read-only, its release readable under DIR. */
export const mount: SimCommand = (inv) => {
  const { io, host, root } = inv;
  const args = inv.argv.slice(1);
  const mkdir = args.includes('--mkdir');
  const { opts, device } = options(args.filter((a) => a !== '--mkdir'));
  const dir = args.filter((a) => !a.startsWith('-') && a !== opts.get('o'))[1];
  if (!root) {
    io.stderr(`mount: only root can use "--options" option (effective UID is ${CORE_UID})\n`);
    return 1;
  }
  if (device === undefined || dir === undefined || opts.get('o') !== 'ro') {
    io.stderr('mount: bad usage\nTry \'mount --help\' for more information.\n');
    return 1;
  }
  if (!mkdir && host.readFile(dir)?.kind !== 'directory') {
    io.stderr(`mount: ${dir}: mount point does not exist.\n       dmesg(1) may have more information after failed mount system call.\n`);
    return 32;
  }
  const number = partitionOf(inv, device);
  const partition = number === null ? undefined : host.usrSlots.partition(number);
  if (!partition || partition.version === null) {
    io.stderr(`mount: ${dir}: wrong fs type, bad option, bad superblock on ${device}, missing codepage or helper program, or other error.\n       dmesg(1) may have more information after failed mount system call.\n`);
    return 32;
  }
  if (host.mounts.has(dir)) {
    io.stderr(`mount: ${dir}: ${device} already mounted on ${dir}.\n       dmesg(1) may have more information after failed mount system call.\n`);
    return 32;
  }
  host.mounts.set(dir, partition.number);
  return 0;
};

export const umount: SimCommand = ({ argv, host, io, root }) => {
  const dir = argv[1];
  if (dir === undefined) {
    io.stderr("Usage:\n umount [-hV]\n umount -a [options]\n umount [options] <source> | <directory>\n");
    return 1;
  }
  if (!host.mounts.has(dir)) {
    io.stderr(`umount: ${dir}: not mounted.\n`);
    return 32;
  }
  if (!root) {
    io.stderr(`umount: ${dir}: must be superuser to unmount.\n`);
    return 32;
  }
  host.mounts.delete(dir);
  return 0;
};
