// `flatdeck nodes --ssh` over many simulated nodes (default 500), end to end as an operator runs it (the compiled
// CLI, a fresh process), against the bound one SSH handshake (connect, auth, one command) × N / the fan-out, and
// the most SSH connections the simulated sshds had open at once (sampled from /proc/net/tcp every 5 ms). Also
// `flatdeck nodes` without --ssh, the part that is start-up and the Node list. Prints figures; asserts nothing.
//   npx tsx bench/ssh-sweep.ts [--nodes 500]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toShellLine } from '../app/flatcar/command.ts';
import { grepVersionId } from '../app/flatcar/os-release.ts';
import { SSH_FAN_OUT } from '../app/ssh/map-limited.ts';
import { SshPool } from '../app/ssh/pool.ts';
import { SshConfigFile } from '../app/ssh/ssh-config.ts';
import { startSimCluster } from '../sim/cluster.ts';
import { loopbackBlock, type LoopbackBlock } from '../test/support/loopback.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '500' } } });
const nodes = Number(values.nodes);
const root = join(import.meta.dirname, '..');

/** Enough consecutive /24 blocks for `count` nodes (254 addresses each). */
function consecutiveBlocks(count: number): LoopbackBlock[] {
  const blocks = [loopbackBlock()];
  while (blocks.length * 254 < count) {
    const next = loopbackBlock();
    const third = (b: LoopbackBlock) => Number(b.base.split('.')[2]);
    if (third(next) !== third(blocks.at(-1) as LoopbackBlock) + 1) throw new Error(`loopback blocks ${blocks.at(-1)?.base} and ${next.base} are not consecutive`);
    blocks.push(next);
  }
  return blocks;
}

/** /proc/net/tcp's local address (little-endian hex) → dotted IPv4. */
const ipOf = (hex: string) => [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');

/** Established sockets whose local end is a simulated sshd (an address of our blocks), by their two ends and inode. */
function openSshConnections(prefixes: readonly string[]): Set<string> {
  const open = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== '01' || !f[1]) continue;
    const ip = ipOf(f[1].split(':')[0] as string);
    if (prefixes.some((p) => ip.startsWith(p))) open.add(`${f[1]} ${f[2]} ${f[9]}`);
  }
  return open;
}

/**
 * The most SSH connections open at once, sampled every 5 ms. /proc/net/tcp is read bucket by bucket, not as one
 * snapshot: a read can show a connection that closed during it beside its successor that opened during it. So a
 * sample counts only the connections seen in two reads in a row, which were all open together between them.
 */
function sampleMostOpen(prefixes: readonly string[]): () => number {
  let most = 0;
  let previous = new Set<string>();
  const timer = setInterval(() => {
    const current = openSshConnections(prefixes);
    most = Math.max(most, [...current].filter((c) => previous.has(c)).length);
    previous = current;
  }, 5);
  return () => {
    clearInterval(timer);
    return most;
  };
}

/** Runs the compiled CLI once; wall time and, while it ran, the most SSH connections open at once. */
async function timeCli(args: string[], prefixes: readonly string[]): Promise<{ ms: number; maxOpen: number; code: number | null }> {
  const mostOpen = sampleMostOpen(prefixes);
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin/flatdeck.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const ms = performance.now() - started;
  const maxOpen = mostOpen();
  if (code !== 0) process.stderr.write(`flatdeck ${args[0]} exited ${code}: ${stderr.slice(-500)}\n`);
  return { ms, maxOpen, code };
}

const blocks = consecutiveBlocks(nodes);
const prefixes = blocks.map((b) => `${b.base.split('.').slice(0, 3).join('.')}.`);
const dir = mkdtempSync(join(tmpdir(), 'flatdeck-bench-sweep-'));
const sim = await startSimCluster({ nodes, stateDir: join(dir, 'sim'), addressBase: (blocks[0] as LoopbackBlock).base, sshPort: 0, workload: false, scheduledUpdateChecks: false, profile: 'kubermatic' });
try {
  const pool = new SshPool({
    prompter: { confirmHostKey: async () => false, askPassphrase: async () => null },
    sshConfig: await SshConfigFile.load(sim.sshConfigPath),
    knownHosts: { userKnownHostsFiles: [sim.knownHostsPath] },
    agentSocket: null,
    connectTimeoutMs: 5000,
  });
  const handshakes: number[] = [];
  for (const n of sim.nodes.slice(0, 20)) {
    const target = { nodeName: n.name, host: n.address };
    const t = performance.now();
    await pool.exec(target, toShellLine(grepVersionId()));
    handshakes.push(performance.now() - t);
    pool.drop(target);
  }
  await pool.close();
  const handshakeMs = handshakes.sort((a, b) => a - b)[Math.floor(handshakes.length / 2)] as number;
  const cli = (extra: string[]) => ['nodes', ...extra, '--json', '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--known-hosts', sim.knownHostsPath, '--data-dir', join(dir, 'data')];
  await timeCli(cli([]), prefixes); // builds the CLI bundle if a source is newer, so neither timed run pays for it
  const list = await timeCli(cli([]), prefixes);
  const sweep = await timeCli(cli(['--ssh']), prefixes);
  const boundMs = (handshakeMs * nodes) / SSH_FAN_OUT;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`SSH sweep, flatdeck nodes --ssh over ${nodes} simulated nodes (fan-out ${SSH_FAN_OUT}; exit ${sweep.code})`);
  console.log(`  end to end               ${s(sweep.ms)}`);
  console.log(`  flatdeck nodes (no SSH)  ${s(list.ms)}  (start-up and the Node list)`);
  console.log(`  SSH part                 ${s(sweep.ms - list.ms)}`);
  console.log(`  bound                    ${s(boundMs)}  (median handshake + one command ${handshakeMs.toFixed(1)} ms × ${nodes} / ${SSH_FAN_OUT})`);
  console.log(`  SSH part / bound         ${((sweep.ms - list.ms) / boundMs).toFixed(2)}`);
  console.log(`  most connections open    ${sweep.maxOpen} (fan-out ${SSH_FAN_OUT})`);
} finally {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
  for (const b of blocks) b.release();
}
