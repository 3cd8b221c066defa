import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeRow } from '../../main/cli/commands/nodes.ts';
import type { SimCluster } from '../../sim/cluster.ts';
import type { World } from './pipeline-world.ts';

const root = new URL('../../', import.meta.url).pathname;

export interface CliRun {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: string | null }>;
  dataDir: string;
}

/** Runs `flatdeck …` as its own process against the simulator, so it can be killed like a real one. */
export function flatdeck(sim: SimCluster, dataDir: string, args: string[]): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', '--report-on-signal', `--report-directory=${dataDir}`, join(root, 'main/cli/main.ts'), ...args, '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--known-hosts', sim.knownHostsPath, '--data-dir', dataDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, lines, stderr: () => err, exit, dataDir };
}

/** What a hung run was waiting on: its open sockets and timers, from the report node writes on SIGUSR2. */
async function whatItWaitsOn(run: CliRun): Promise<string> {
  run.child.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 2000));
  const report = readdirSync(run.dataDir).find((f) => f.startsWith('report.') && f.endsWith('.json'));
  if (!report) return 'no diagnostic report was written';
  const { libuv } = JSON.parse(readFileSync(join(run.dataDir, report), 'utf8')) as { libuv: { type: string; is_active: boolean; remoteEndpoint?: { ip4?: string; port: number } | null; firesInMsFromNow?: number }[] };
  return libuv
    .filter((h) => h.is_active && (h.type === 'tcp' || h.type === 'timer'))
    .map((h) => (h.type === 'tcp' ? `tcp to ${h.remoteEndpoint?.ip4 ?? '?'}:${h.remoteEndpoint?.port ?? '?'}` : `timer in ${h.firesInMsFromNow ?? '?'} ms`))
    .join(', ');
}

/** SIGKILLs the process as soon as it prints a line matching `marker` (like a crash there); fails if it ends first. */
export async function killWhenSeen(run: CliRun, marker: RegExp): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (run.lines.some((l) => marker.test(l))) {
        clearInterval(t);
        run.child.kill('SIGKILL');
        resolve();
      }
    }, 5);
    void run.exit.then(() => {
      clearInterval(t);
      reject(new Error(`the run ended before printing ${marker}: ${run.stderr().slice(-300)} ${run.lines.slice(-3).join(' ').slice(-600)}`));
    });
  });
  await run.exit;
}

/** Waits for the process; after `ms` kills it and fails with what it printed last (a hang must not stall the suite). */
export async function finished(run: CliRun, ms = 420_000): Promise<{ code: number | null; signal: string | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void whatItWaitsOn(run).then((waits) => {
        run.child.kill('SIGKILL');
        reject(new Error(`flatdeck did not finish within ${ms / 1000} s; it waits on: ${waits}; last output:\n${run.lines.slice(-20).join('\n')}\n${run.stderr().slice(-2000)}`));
      });
    }, ms);
  });
  try {
    return await Promise.race([run.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh data folder for `flatdeck` processes; with `releaseFeed`, its settings read the simulator's release feed. */
export function cliDataDir(w: Pick<World, 'dir' | 'kc' | 'sim'>, opts: { prefix?: string; releaseFeed?: boolean } = {}): string {
  const dataDir = mkdtempSync(join(w.dir, opts.prefix ?? 'cli-'));
  if (opts.releaseFeed) writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ releaseFeeds: { [w.kc.getCurrentContext()]: w.sim.releaseFeedUrl } }));
  return dataDir;
}

/** `node`'s row as `flatdeck nodes [flags] --json` lists it (its own process; fails the test if the command fails). */
export async function nodesRow(sim: SimCluster, dataDir: string, node: string, flags: string[] = [], ms?: number): Promise<NodeRow | undefined> {
  const run = flatdeck(sim, dataDir, ['nodes', ...flags, '--json']);
  assert.equal((await finished(run, ms)).code, 0, run.stderr());
  return (JSON.parse(run.lines.join('\n')) as NodeRow[]).find((r) => r.name === node);
}

export const fastFlags = ['--yes', '--delete-emptydir-data', '--delete-unmanaged', '--settle', '0s', '--restore-after-boot', '1s', '--lease-duration', '3s', '--reboot-timeout', '2m', '--drain-timeout', '90s'];

/** Makes every channel's server offer a newer release, so the whole fleet has an update again. */
export function publishNewReleases(sim: SimCluster): Record<string, string> {
  const out: Record<string, string> = {};
  for (const channel of new Set(sim.nodes.map((n) => n.channel))) {
    const latest = sim.releases.latest(channel);
    if (!latest) continue;
    const [a, b, c] = latest.version.split('.').map(Number) as [number, number, number];
    const version = `${a}.${b}.${c + 1}`;
    sim.releases.publish(channel, { version, size: latest.size });
    out[channel] = version;
  }
  return out;
}
