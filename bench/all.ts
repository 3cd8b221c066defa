// `npm run bench`: every benchmark at its small size, one after the other (each a fresh process), then
// docs/benchmarks.md with this run's figures and the machine they ran on. Prints figures; asserts nothing.
//   npx tsx bench/all.ts [--out docs/benchmarks.md] [--p3]   (--p3: also P3, which builds a 5,000-node cluster)
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/benchmarks.md' }, p3: { type: 'boolean', default: false } } });
const root = join(import.meta.dirname, '..');

interface Bench {
  title: string;
  what: string;
  args: string[];
}

const tsx = (file: string, ...args: string[]) => ['--import', 'tsx', join('bench', file), ...args];

const BENCHES: readonly Bench[] = [
  { title: 'CLI start-up', what: 'median of fresh processes, the compiled CLI against bare node', args: tsx('startup.ts', '5') },
  { title: 'P1 rollout, 10 nodes', what: 'time scale 0.1, K=1, and the seed\'s manual procedure', args: tsx('rollout.ts', '--nodes', '10', '--time-scale', '0.1', '--manual') },
  { title: 'P1 rollout, 30 nodes in 3 zones', what: 'time scale 0.03, K=1 then K=3', args: tsx('rollout.ts', '--nodes', '30', '--time-scale', '0.03', '--zones', '3', '--max-unavailable', '1,3') },
  { title: 'P2 state → screen, 20 nodes', what: 'downloading at once, time scale 0.25, browser mode in Chromium', args: tsx('state-to-screen.ts', '--nodes', '20', '--time-scale', '0.25') },
  { title: 'P4 SSH sweep, 500 nodes', what: '`flatdeck nodes --ssh` end to end', args: tsx('ssh-sweep.ts', '--nodes', '500') },
  { title: 'Node inventory', what: '5,000 nodes listed, 50,000 watch modifications', args: ['--expose-gc', ...tsx('inventory.ts')] },
  ...(values.p3 ? [{ title: 'P3 5,000 nodes', what: 'kwok nodes on the real control plane (its own cluster, minutes to build), browser mode in Chromium', args: tsx('kwok-5000.ts') }] : []),
];

async function run(b: Bench): Promise<{ output: string; seconds: number; code: number | null }> {
  process.stdout.write(`\n== ${b.title} (${b.what})\n`);
  const started = performance.now();
  const child = spawn(process.execPath, b.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLATDECK_TEST: '1' } });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d;
    process.stdout.write(d);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => process.stderr.write(d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  return { output: output.trimEnd(), seconds: (performance.now() - started) / 1000, code };
}

const machine = [
  `- CPU: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores (nproc)`,
  `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  `- Node ${process.version}, ${process.platform}/${process.arch}`,
  `- load average at the start: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`,
];
const startedAt = new Date();
const results: string[] = [];
for (const b of BENCHES) {
  const r = await run(b);
  const status = r.code === 0 ? '' : ` — exited ${r.code}, figures incomplete`;
  results.push(`## ${b.title}\n\n${b.what}; \`node ${b.args.join(' ')}\`, ${r.seconds.toFixed(0)} s${status}.\n\n\`\`\`\n${r.output || '(no output)'}\n\`\`\``);
}
const total = (Date.now() - startedAt.getTime()) / 1000;

writeFileSync(
  join(root, values.out),
  `# Benchmarks

Figures of one \`npm run bench\` run (${startedAt.toISOString()}, ${total.toFixed(0)} s in all); they are printed, never
asserted. The machine:

${machine.join('\n')}
- load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}

This machine was shared: other work (test runs, builds) was using its cores during the run, so every time
below is longer and noisier than on an idle machine, and ratios between two figures taken minutes apart carry
that noise too.

How to read them:

- **P1 rollout**: flatdeck against a floor set by the simulated cluster's own times (\`bench/cluster-times.ts\`,
  never flatdeck's step timings): the longest download (update_engine leaving IDLE → UPDATED_NEED_REBOOT in
  \`events.jsonl\`), then per node the pods terminating until gone (a watch of the simulator's API server),
  \`reboot-start\` → \`up\` (\`events.jsonl\`) and \`up\` → Node Ready; with K > 1, K node cycles side by side at
  best. "Overhead per node" is (flatdeck − floor) / updated nodes. The seed's manual procedure updates node
  after node with no cordon and no drain, so it skips the evictions flatdeck waits for.
- **P4 SSH sweep**: the floor is one SSH handshake plus one command (median of 20) × N / the fan-out; "most
  connections open" is sampled from \`/proc/net/tcp\` (server ends on the simulated sshds' addresses, counted
  when seen in two reads in a row) and includes idle connections the pool keeps open after a node's commands;
  the pool holds at most the fan-out open, closing the least recently used idle one before it dials another.
- **P2 state → screen**: every node's own update_engine checks and downloads at once (no run); each update_engine
  state change and each 10 % of a download in \`events.jsonl\` is matched to the first change of that node's row in
  the nodes table's DOM that shows it (a MutationObserver in the page, epoch ms), or a later point of the same
  update where the screen skipped a brief state. "Core pushed" and "page received" time the same transitions at
  the core's live event and at its arrival over the WebSocket, so the rest is the page's own work.
- **P3 5,000 nodes** (\`npx tsx bench/all.ts --p3\`, or alone \`npx tsx bench/kwok-5000.ts [--kubeconfig PATH]\` against a
  cluster from \`test/cluster/up --kwok-nodes 5000\`): the full table is timed from the click on Open to the
  virtualised table knowing every row, against kubectl's raw list in the same run; RSS is the browser-mode
  server's (the core runs in it); frames are requestAnimationFrame intervals in the page, where a 60 Hz display
  paints every 16.7 ms, so a p95 of 16.7 ms means fewer than 5 % of frames were late.
${values.p3 ? '' : '- Not part of this run: P3 (5,000 kwok nodes on the real control plane; `--p3`).'}

${results.join('\n\n')}
`,
);
process.stdout.write(`\nwrote ${values.out} (${total.toFixed(0)} s)\n`);
