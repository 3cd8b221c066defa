// `npm start` where the Electron binary cannot be downloaded: the advice, first and alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { root } from '../../scripts/build-main.mjs';
import { electronBinaryPath } from '../../scripts/electron-binary.mjs';
import { loopbackBlock } from '../support/loopback.ts';

const cache = mkdtempSync(join(tmpdir(), 'flatdeck-electron-cache-'));
after(() => rmSync(cache, { recursive: true, force: true }));

it('without the Electron binary, npm start prints how to get it and browser mode, no download stack trace', { skip: electronBinaryPath() ? 'the Electron binary is installed here' : false }, () => {
  // A mirror on a loopback address nothing listens on: the download fails at once, as it does offline.
  const env = { ...process.env, ELECTRON_MIRROR: `http://${loopbackBlock().host(1)}:9/`, electron_config_cache: cache, ELECTRON_OVERRIDE_DIST_PATH: '' };
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'start-electron.mjs')], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines[0], 'npm start: cannot start the desktop app.');
  assert.match(r.stderr, /node node_modules\/electron\/install\.js/);
  assert.match(r.stderr, /npm run serve/);
  assert.deepEqual(lines.filter((l) => /^\s+at |Error:/.test(l)), [], r.stderr);
});
