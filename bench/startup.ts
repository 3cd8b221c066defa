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

/** Median wall time in ms of `RUNS` fresh processes; a failed run stops the bench with its output. */
function median(label: string, args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, HOME: home, KUBECONFIG: '', SSH_AUTH_SOCK: '' } });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (r.status !== 0) throw new Error(`${label} exited ${r.status}:\n${r.stderr}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

await buildCli({ outDir: checkoutCliDir });
try {
  const bare = median('node -e 0', ['-e', '0']);
  const help = median('flatdeck --help', [cli, '--help']);
  const demo = median('flatdeck nodes --demo', [cli, 'nodes', '--demo', '--data-dir', join(home, 'data')]);
  const row = (label: string, ms: number) => `${label.padEnd(24)} ${ms.toFixed(0).padStart(6)} ms  (+${(ms - bare).toFixed(0)} ms over bare node)`;
  process.stdout.write(`flatdeck start-up, median of ${RUNS} runs (node ${process.version})\n`);
  process.stdout.write(`${'node -e 0'.padEnd(24)} ${bare.toFixed(0).padStart(6)} ms\n${row('flatdeck --help', help)}\n${row('flatdeck nodes --demo', demo)}\n`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
