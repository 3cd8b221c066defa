// Starts and stops the real control plane (test/cluster/up, test/cluster/down) for a test file.
// Tests skip with a clear reason when the binaries are not built, except in CI (CI=true), where they fail.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_SCRIPTS_DIR, clusterBinary, missingClusterBinaries } from './cluster-binaries.ts';

export interface RealCluster {
  kubeconfigPath: string;
  kubectlPath: string;
  /** The kwokctl state directory (logs under kwok/clusters/flatdeck/logs). */
  dir: string;
  /** Seconds `test/cluster/up` took. */
  upSeconds: number;
  /**
   * Kills kube-apiserver and starts it with the same flags, as after a crash: its watch cache is rebuilt from
   * the current state, so watches from older resourceVersions get 410 Expired.
   */
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export type Availability = { ok: true } | { ok: false; reason: string };

export function realClusterAvailable(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `the real control plane runs on Linux only (this is ${process.platform})` };
  const missing = missingClusterBinaries();
  if (missing.length > 0) {
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    const why = go.status === 0 ? 'run test/cluster/build' : 'Go ≥ 1.26 is not installed, so test/cluster/build cannot build them';
    return { ok: false, reason: `real control plane binaries not built (missing: ${missing.join(', ')}): ${why}` };
  }
  return { ok: true };
}

/**
 * The `skip` option for a real-cluster suite: false when it can run, else the reason.
 * In CI the tier must run, so an unavailable cluster throws instead of skipping.
 */
export function realClusterSkip(): false | string {
  const a = realClusterAvailable();
  if (a.ok) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but the real-cluster tier cannot run: ${a.reason}`);
  return a.reason;
}

function run(script: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(CLUSTER_SCRIPTS_DIR, script), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

export async function startRealCluster(opts: { kwokNodes?: number } = {}): Promise<RealCluster> {
  const root = mkdtempSync(join(tmpdir(), 'flatdeck-real-cluster-'));
  const dir = join(root, 'cluster');
  const kubeconfigPath = join(root, 'kubeconfig');
  const started = performance.now();
  const up = await run('up', ['--kubeconfig', kubeconfigPath, '--dir', dir, '--kwok-nodes', String(opts.kwokNodes ?? 0)]);
  const upSeconds = (performance.now() - started) / 1000;
  // kwokctl detaches its processes (setsid): if this test process dies, tear them down on the way out.
  const emergencyStop = () => {
    spawnSync(join(CLUSTER_SCRIPTS_DIR, 'down'), ['--dir', dir]);
    rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', emergencyStop);
  if (up.code !== 0) {
    emergencyStop();
    process.off('exit', emergencyStop);
    throw new Error(`test/cluster/up failed (exit ${up.code}):\n${up.stderr}`);
  }
  let stopped: Promise<void> | undefined;
  return {
    kubeconfigPath,
    kubectlPath: clusterBinary('kubectl'),
    dir,
    upSeconds,
    restartApiServer: () => restartApiServer(join(dir, 'kwok', 'clusters', 'flatdeck')),
    stop() {
      stopped ??= (async () => {
        const down = await run('down', ['--dir', dir]);
        process.off('exit', emergencyStop);
        rmSync(root, { recursive: true, force: true });
        if (down.code !== 0) throw new Error(`test/cluster/down failed (exit ${down.code}):\n${down.stderr}`);
      })();
      return stopped;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Running (a zombie counts as gone: kwokctl's detached processes may be reparented to an init that never reaps). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`kube-apiserver restart: timed out waiting until ${what}`);
    await sleep(100);
  }
}

/** Stops the kwokctl-started kube-apiserver and starts it again, detached, with the same command line. */
async function restartApiServer(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'pids', 'kube-apiserver.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const port = Number(argv.find((a) => a.startsWith('--secure-port='))?.split('=')[1]);
  const [binary, ...args] = argv;
  if (!binary || !port) throw new Error(`kube-apiserver restart: unexpected command line of pid ${pid}`);
  // SIGKILL, as a crash would: a graceful kube-apiserver shutdown takes tens of seconds.
  process.kill(pid, 'SIGKILL');
  await until('the old process exited', () => !alive(pid), 60_000);
  await until('its port is free', async () => !(await portOpen(port)), 60_000);
  const log = openSync(join(clusterDir, 'logs', 'kube-apiserver.log'), 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  await until('it listens again', () => portOpen(port), 60_000);
}
