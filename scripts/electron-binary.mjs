// Where the Electron binary is, if it was downloaded. `npm ci` here denies electron's install script
// (package.json allowScripts), so the binary exists only after `node node_modules/electron/install.js`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const electronDir = fileURLToPath(new URL('../node_modules/electron/', import.meta.url));

/** Absolute path of the Electron executable, or null when it is not installed. */
export function electronBinaryPath() {
  const pathFile = join(electronDir, 'path.txt');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  // The same lookup as electron's own index.js: path.txt is written by its installer.
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : override ? platformExecutable() : null;
  if (!relative) return null;
  const binary = join(override ?? join(electronDir, 'dist'), relative);
  return existsSync(binary) ? binary : null;
}

function platformExecutable() {
  if (process.platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  return process.platform === 'win32' ? 'electron.exe' : 'electron';
}

/** Where the downloader's own output goes: its network stack traces would bury the advice on the terminal. */
export const installLog = join(tmpdir(), 'flatdeck-electron-install.log');

/** Tries electron's own downloader once; returns the binary path or null (its output is kept in installLog). */
export function installElectronBinary() {
  const r = spawnSync(process.execPath, [join(electronDir, 'install.js')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000 });
  writeFileSync(installLog, `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `${r.error.message}\n` : ''}`);
  return electronBinaryPath();
}

export const missingElectronHelp = `The Electron binary could not be installed (node_modules/electron/dist is missing).
  - On a machine with internet access run:  node node_modules/electron/install.js
    (behind a proxy or mirror, set ELECTRON_MIRROR or ELECTRON_GET_USE_PROXY first; see electron's docs)
  - Or point ELECTRON_OVERRIDE_DIST_PATH at an unpacked Electron ${readElectronVersion()} directory.
  - Meanwhile the same UI runs in your browser:  npm run serve        (or: npm run serve -- --demo)
  (What electron's downloader said is in ${installLog}.)`;

function readElectronVersion() {
  return JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;
}
