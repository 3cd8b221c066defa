// Start-up cost of the `flatdeck` command as an operator meets it: `flatdeck --help` and `flatdeck nodes --demo`
// (simulator start included) against bare `node -e 0`, each as a fresh process, median of several runs. Runs
// the compiled bundle (built first), the way bin/flatdeck.js does. Prints figures; asserts nothing.
//
//   node --import tsx bench/startup.ts [runs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, checkoutCliDir } from '../scripts/build-main.mjs';

const RUNS = Number(process.argv[2] ?? 5);
const home = mkdtempSync(join(tmpdir(), 'flatdeck-bench-startup-'));
const cli = join(checkoutCliDir, 'flatdeck.mjs');

/** Wall time in ms of one fresh process; a failed run stops the bench with its output. */
function once(label: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, HOME: home, KUBECONFIG: '', SSH_AUTH_SOCK: '' } });
  if (r.status !== 0) throw new Error(`${label} exited ${r.status}:\n${r.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Median per case; the cases take turns in every round, so a busy moment on the machine hits all of them. */
function medians(cases: ReadonlyArray<[string, string[]]>): number[] {
  const times = cases.map((): number[] => []);
  for (let round = 0; round < RUNS; round++) cases.forEach(([label, args], i) => times[i]!.push(once(label, args)));
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

await buildCli({ outDir: checkoutCliDir });
try {
  const [bare, help, demo] = medians([
    ['node -e 0', ['-e', '0']],
    ['flatdeck --help', [cli, '--help']],
    ['flatdeck nodes --demo', [cli, 'nodes', '--demo', '--data-dir', join(home, 'data')]],
  ]) as [number, number, number];
  const row = (label: string, ms: number) => `${label.padEnd(24)} ${ms.toFixed(0).padStart(6)} ms  (${ms - bare >= 0 ? '+' : ''}${(ms - bare).toFixed(0)} ms against bare node)`;
  process.stdout.write(`flatdeck start-up, median of ${RUNS} runs (node ${process.version})\n`);
  process.stdout.write(`${'node -e 0'.padEnd(24)} ${bare.toFixed(0).padStart(6)} ms\n${row('flatdeck --help', help)}\n${row('flatdeck nodes --demo', demo)}\n`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
