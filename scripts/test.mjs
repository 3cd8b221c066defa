#!/usr/bin/env node
// The one test command: static checks, renderer build, then every test file under test/ with node's runner
// (tiers: unit, integration, cluster, e2e, packaging; `node scripts/test.mjs packaging` runs one) and the renderer's
// tests under vitest (renderer/test, with the unit tier). Ends with the line "N passed, N failed[, N skipped]" that
// CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tiers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const onlyFiles = process.argv.includes('--no-checks');

// Wall time of each phase, printed in the summary (CI has a fixed time budget).
const phases = [];
function timed(label, fn) {
  const started = Date.now();
  try {
    return fn();
  } finally {
    phases.push([label, Date.now() - started]);
  }
}

function run(label, cmd, args, opts = {}) {
  process.stdout.write(`\n== ${label}: ${[cmd, ...args].join(' ')}\n`);
  const r = timed(label, () => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts }));
  return r.status === 0;
}

/** Failed tests from node's TAP output (leaves only, not the suites that failed because of them) with their file. */
function failuresIn(tap) {
  const out = [];
  const lines = tap.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*not ok \d+ - (.*)$/.exec(line);
    if (!m) return;
    let file = '?';
    let leaf = true;
    for (let j = i + 1; j < lines.length && !/^\s*\.\.\.$/.test(lines[j]); j++) {
      const location = /^\s*location: '(.*?):\d+:\d+'$/.exec(lines[j]);
      if (location) file = relative(root, location[1]);
      if (/^\s*failureType: 'subtestsFailed'$/.test(lines[j])) leaf = false;
    }
    if (leaf) out.push({ file, name: m[1] });
  });
  return out;
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

const checks = [];
if (!onlyFiles) {
  const bin = (n) => join(root, 'node_modules', '.bin', n);
  checks.push(['eslint', run('lint', bin('eslint'), ['.'])]);
  checks.push(['tsc', run('typecheck core', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'])]);
  if (existsSync(join(root, 'renderer', 'tsconfig.json'))) {
    checks.push(['svelte-check', run('typecheck renderer', bin('svelte-check'), ['--tsconfig', 'renderer/tsconfig.json', '--fail-on-warnings'])]);
  }
  if (existsSync(join(root, 'renderer', 'vite.config.ts'))) {
    checks.push(['renderer build', run('build renderer', bin('vite'), ['build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'])]);
  }
}

const testRoot = join(root, 'test');
const dirs = tiers.length ? tiers.map((t) => join(testRoot, t)) : [testRoot];
const files = dirs.flatMap(findTests).map((f) => relative(root, f));
const tapFile = join(mkdtempSync(join(tmpdir(), 'flatdeck-test-')), 'results.tap');
process.stdout.write(`\n== tests: ${files.length} files\n`);
// With no files node's runner would search the whole tree itself.
if (files.length) timed('tests', () => spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FLATDECK_TEST: '1' } },
));

// Every renderer test (components, stores, models, i18n) runs under vitest: the Svelte compiler and a DOM.
const vitest = { pass: 0, fail: 0 };
const vitestConfig = join(root, 'renderer', 'vitest.config.ts');
if (existsSync(vitestConfig) && (!tiers.length || tiers.includes('unit') || tiers.includes('renderer'))) {
  const out = join(dirname(tapFile), 'vitest.json');
  run('component tests', join(root, 'node_modules', '.bin', 'vitest'), ['run', '--config', vitestConfig, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  const report = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : null;
  vitest.pass = report?.numPassedTests ?? 0;
  vitest.fail = report ? report.numFailedTests : 1;
}

const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
const count = (key) => Number((tap.match(new RegExp(`^# ${key} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
const failedChecks = checks.filter(([, ok]) => !ok);
process.stdout.write(`\n== summary\n${phases.map(([label, ms]) => `${label}: ${(ms / 1000).toFixed(0)} s`).join(', ')}\n`);
for (const [name] of failedChecks) process.stdout.write(`check failed: ${name}\n`);
for (const { file, name } of failuresIn(tap)) process.stdout.write(`test failed: ${file}: ${name}\n`);
if (vitest.fail > 0) process.stdout.write(`component tests failed: ${vitest.fail} (see the vitest output above)\n`);
const passed = count('pass') + vitest.pass + checks.length - failedChecks.length;
const failed = count('fail') + count('cancelled') + vitest.fail + failedChecks.length;
const skipped = count('skipped') + count('todo');
const noResults = files.length > 0 && !tap;
if (noResults) process.stdout.write('the test runner wrote no results\n');
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || noResults ? 1 : 0);
