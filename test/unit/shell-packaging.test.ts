import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildMain, buildRenderer, root } from '../../scripts/build-main.mjs';
import { assertReleaseFuses, readFuses, writeFakeElectron } from './shell-fuse-wire.ts';

// The real electron-builder with electron-builder.yml and the afterPack fuses hook, packaging for Linux into
// an unpacked directory. Instead of a downloaded Electron it gets a small stand-in binary that carries the
// fuse wire, so what is checked here is ours: the files that go into app.asar and the fuses that get flipped.

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(archive: string, options: object): string[]; extractFile(archive: string, file: string): Buffer };

describe('electron-builder packaging (Linux, unpacked)', () => {
  let work: string;
  let unpacked: string;
  let files: string[] = [];
  let build: ReturnType<typeof spawnSync>;

  before(async () => {
    if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) buildRenderer();
    await buildMain();
    work = mkdtempSync(join(tmpdir(), 'flatdeck-packaging-'));
    const electronDist = join(work, 'electron-dist');
    mkdirSync(join(electronDist, 'resources'), { recursive: true });
    writeFakeElectron(join(electronDist, 'electron'));
    writeFileSync(join(electronDist, 'version'), 'stand-in');
    writeFileSync(join(electronDist, 'LICENSE'), 'stand-in');
    build = spawnSync(
      process.execPath,
      [join(root, 'node_modules/electron-builder/cli.js'), '--linux', 'dir', '--publish', 'never', `--config.electronDist=${electronDist}`, `--config.directories.output=${join(work, 'release')}`],
      { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, FLATDECK_TEST_BUILD: '' } },
    );
    unpacked = join(work, 'release', 'linux-unpacked');
    const archive = join(unpacked, 'resources', 'app.asar');
    if (existsSync(archive)) files = asar.listPackage(archive, {});
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it('builds', () => {
    assert.equal(build.status, 0, `electron-builder failed:\n${String(build.stdout)}\n${String(build.stderr)}`);
    assert.ok(existsSync(join(unpacked, 'flatdeck')), 'the executable is named flatdeck');
  });

  it('flips the release fuses on the packaged binary', async () => {
    assertReleaseFuses(await readFuses(join(unpacked, 'flatdeck')));
  });

  it('puts the bundles, the renderer build and the runtime dependencies into app.asar, with main pointing at the bundle', () => {
    const sep = files[0]?.includes('\\') ? '\\' : '/';
    const has = (p: string) => files.includes(p.split('/').join(sep));
    for (const p of ['/dist/electron/main.mjs', '/dist/electron/preload.cjs', '/renderer/dist/index.html', '/node_modules/ssh2/package.json', '/node_modules/@kubernetes/client-node/package.json', '/node_modules/zod/package.json']) {
      assert.ok(has(p), `${p} is missing from app.asar`);
    }
    const pkg = JSON.parse(asar.extractFile(join(unpacked, 'resources', 'app.asar'), 'package.json').toString('utf8')) as { main?: string };
    assert.equal(pkg.main, 'dist/electron/main.mjs');
  });

  it('leaves out sources, tests, source maps, build tools and ssh2’s native build parts', () => {
    const norm = files.map((f) => f.replaceAll('\\', '/'));
    const unwanted = norm.filter((f) =>
      /^\/(main|app|sim|test|scripts|renderer\/src|build)\//.test(f) ||
      /\.map$/.test(f) ||
      /^\/node_modules\/(electron|electron-builder|tsx|esbuild|@esbuild|cpu-features|nan|playwright-core|vite|svelte|typescript|@types)\//.test(f) ||
      f.startsWith('/node_modules/ssh2/lib/protocol/crypto/'),
    );
    assert.deepEqual(unwanted.slice(0, 20), [], `${unwanted.length} unwanted files in app.asar`);
    assert.ok(!existsSync(join(unpacked, 'resources', 'app.asar.unpacked')), 'nothing needs unpacking (no native modules)');
  });
});
