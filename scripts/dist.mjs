#!/usr/bin/env node
// npm run dist [-- electron-builder flags]: renderer build, main + preload bundles, then electron-builder.
// Packages are built from the Electron binary in node_modules/electron/dist (the one `npm start` runs),
// so this works wherever that binary exists and says so clearly where it does not.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { buildMain, buildRenderer, root } from './build-main.mjs';
import { electronBinaryPath, installElectronBinary, missingElectronHelp } from './electron-binary.mjs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`npm run dist: this is Node ${process.version}; electron-builder's dependencies (@electron/rebuild, node-abi) need Node ≥ 22.12.\n`);
}

const binary = electronBinaryPath() ?? installElectronBinary();
if (!binary) {
  process.stderr.write(`npm run dist: cannot package without the Electron binary.\n${missingElectronHelp}\n`);
  process.exit(1);
}
// On macOS the binary sits inside Electron.app/Contents/MacOS; electron-builder wants the folder holding Electron.app.
const electronDist = binary.includes('.app/') ? binary.slice(0, binary.indexOf('/Electron.app/')) : dirname(binary);

buildRenderer();
await buildMain({ pruneStale: true });
const builderCli = join(root, 'node_modules', 'electron-builder', 'cli.js');
const r = spawnSync(
  process.execPath,
  [builderCli, `--config.electronDist=${electronDist}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
