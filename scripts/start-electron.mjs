#!/usr/bin/env node
// npm start / npm run demo: builds the renderer and the main + preload bundles, then runs Electron.
// Without the Electron binary it tries electron's downloader once, and otherwise explains how to get it
// and points to browser mode. It never fails silently.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { buildMain, buildRenderer, mainBundle } from './build-main.mjs';
import { electronBinaryPath, installElectronBinary, missingElectronHelp } from './electron-binary.mjs';

let demo;
try {
  ({ values: { demo = false } } = parseArgs({ args: process.argv.slice(2), options: { demo: { type: 'boolean' } }, strict: true }));
} catch (err) {
  process.stderr.write(`${err.message}\nusage: npm start | npm run demo\n`);
  process.exit(2);
}

const binary = electronBinaryPath() ?? installElectronBinary();
if (!binary) {
  process.stderr.write(`npm ${demo ? 'run demo' : 'start'}: cannot start the desktop app.\n${missingElectronHelp}\n`);
  process.exit(1);
}

try {
  buildRenderer();
  await buildMain();
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

const child = spawn(binary, [mainBundle, ...(demo ? ['--demo'] : [])], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  process.stderr.write(`could not run ${binary}: ${err.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
