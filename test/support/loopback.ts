// The one allocator for the loopback addresses and ports that simulators and test servers listen on.
//
// How to use it (in any test file that starts a simulator, an SSH test peer or anything else that binds):
//
//   import { loopbackBlock } from '../support/loopback.ts';
//   const block = loopbackBlock();                                  // a /24 of 127.0.0.0/8 held by this process
//   await startSimCluster({ addressBase: block.base, sshPort: 0, … }); // nodes get block.host(1), host(2), …
//   const peer = await startTestPeer({ host: block.host(200), … });    // extra listeners: high host numbers
//
// Never write a 127.x.y.z literal that something binds to: two test files running at the same time (the runner
// runs files in parallel, and several people may run tests on one machine) would take the same address.
// Ports: with an address of its own, a test always listens on port 0 (the kernel picks a free one) and reads the
// bound port back; `sshPort: 0` does that for the simulator's nodes. No test hand-picks a port.
//
// Blocks are claimed across processes with a lock file per block (O_EXCL) in the system temp folder; a block whose
// owner process has exited is taken over, and the claim is dropped when this process exits. The range is
// 127.10.0.0/16 (127.10.0.0/24 stays free for the demo cluster's default addresses); FLATDECK_TEST_LOOPBACK=127.N.0.0/16
// moves it to another /16, so people sharing a machine can each keep to their own.
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoopbackBlock {
  /** The first host address of the block (`127.A.B.1`), what `startSimCluster({ addressBase })` takes. */
  readonly base: string;
  /** The n-th host address of the block, 1 ≤ n ≤ 254. */
  host(n: number): string;
  /** Gives the block back before the process exits (it is given back at exit anyway). */
  release(): void;
}

const LOCK_DIR = join(tmpdir(), 'flatdeck-test-loopback');

function rangePrefix(): string {
  const range = process.env.FLATDECK_TEST_LOOPBACK ?? '127.10.0.0/16';
  const m = /^127\.(\d{1,3})\.0\.0\/16$/.exec(range);
  if (!m || Number(m[1]) > 255) throw new Error(`FLATDECK_TEST_LOOPBACK must look like 127.N.0.0/16, not "${range}"`);
  return `127.${m[1]}`;
}

function ownerAlive(lockFile: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lockFile, 'utf8').trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownedByUs(lockFile: string): boolean {
  try {
    return readFileSync(lockFile, 'utf8').trim() === String(process.pid);
  } catch {
    return false;
  }
}

function tryClaim(lockFile: string): boolean {
  try {
    const fd = openSync(lockFile, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  }
}

/** Claims a free /24 for this process; throws when all 255 blocks of the range are held by live processes. */
export function loopbackBlock(): LoopbackBlock {
  const prefix = rangePrefix();
  mkdirSync(LOCK_DIR, { recursive: true });
  // Start at a different block per process so parallel files rarely contend for the same lock file.
  const start = process.pid % 255;
  for (let i = 0; i < 255; i++) {
    const third = ((start + i) % 255) + 1;
    const lockFile = join(LOCK_DIR, `${prefix}.${third}`);
    if (!tryClaim(lockFile)) {
      if (ownerAlive(lockFile)) continue;
      rmSync(lockFile, { force: true });
      if (!tryClaim(lockFile)) continue;
    }
    const release = () => {
      process.off('exit', release);
      if (ownedByUs(lockFile)) rmSync(lockFile, { force: true });
    };
    process.on('exit', release);
    return {
      base: `${prefix}.${third}.1`,
      host(n) {
        if (!Number.isInteger(n) || n < 1 || n > 254) throw new Error(`host number ${n} is outside 1..254`);
        return `${prefix}.${third}.${n}`;
      },
      release,
    };
  }
  throw new Error(`every /24 of ${prefix}.0.0/16 is held by a running test process (lock files in ${LOCK_DIR})`);
}
