import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { NodeRow } from '../../main/cli/commands/nodes.ts';
import { buildMain, buildRenderer, root } from '../../scripts/build-main.mjs';
import { startSimCluster } from '../../sim/cluster.ts';
import { kubectlPath } from '../support/kubectl.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { waitFor } from '../support/wait-for.ts';
import { assertReleaseFuses, readFuses, writeFakeElectron } from './fuse-wire.ts';

// The real electron-builder with electron-builder.yml and the afterPack fuses hook, packaging for Linux into
// an unpacked directory. Instead of a downloaded Electron it gets a small stand-in binary that carries the
// fuse wire, so what is checked here is ours: the files that go into app.asar and the fuses that get flipped.

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as {
  listPackage(archive: string, options: object): string[];
  extractFile(archive: string, file: string): Buffer;
  extractAll(archive: string, dest: string): void;
};

describe('electron-builder packaging (Linux, unpacked)', () => {
  let work: string;
  let unpacked: string;
  let files: string[] = [];
  let build: ReturnType<typeof spawnSync>;

  before(async () => {
    if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) buildRenderer();
    await buildMain({ pruneStale: true });
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
    for (const p of ['/dist/electron/main.mjs', '/dist/electron/preload.cjs', '/dist/cli/flatdeck.mjs', '/renderer/dist/index.html', '/node_modules/ssh2/package.json', '/node_modules/@kubernetes/client-node/package.json', '/node_modules/zod/package.json']) {
      assert.ok(has(p), `${p} is missing from app.asar`);
    }
    const pkg = JSON.parse(asar.extractFile(join(unpacked, 'resources', 'app.asar'), 'package.json').toString('utf8')) as { main?: string };
    assert.equal(pkg.main, 'dist/electron/main.mjs');
    // The demo's simulator (and node-forge and yaml with it) is a chunk loaded only when the demo starts.
    for (const entry of ['dist/electron/main.mjs', 'dist/cli/flatdeck.mjs']) {
      const text = asar.extractFile(join(unpacked, 'resources', 'app.asar'), entry).toString('utf8');
      assert.doesNotMatch(text, /from "(node-forge|yaml)"/, `${entry} loads the simulator's packages at start`);
    }
  });

  it('leaves out sources, tests, source maps, build tools and ssh2’s native build parts', () => {
    const norm = files.map((f) => f.replaceAll('\\', '/'));
    const unwanted = norm.filter((f) =>
      /^\/(main|app|sim|test|scripts|renderer\/src|build)\//.test(f) ||
      /\.map$/.test(f) ||
      /^\/node_modules\/(electron|electron-builder|tsx|esbuild|@esbuild|cpu-features|nan|playwright-core|vite|svelte|typescript|@types)\//.test(f) ||
      /^\/node_modules\/ssh2\/lib\/protocol\/crypto\/(src\/|binding\.gyp)/.test(f),
    );
    assert.deepEqual(unwanted.slice(0, 20), [], `${unwanted.length} unwanted files in app.asar`);
    assert.ok(!existsSync(join(unpacked, 'resources', 'app.asar.unpacked')), 'nothing needs unpacking (no native modules)');
  });

  // The Electron binary cannot be downloaded here, so the packed code runs under plain Node: the bundled CLI
  // from the extracted app.asar, resolving packages only from the archive's own node_modules (nothing above
  // the temporary folder has any), lists the nodes of a simulated cluster and reads each node over SSH.
  it('opens SSH sessions and lists nodes with nothing but the files inside app.asar', async () => {
    const extracted = join(work, 'extracted');
    asar.extractAll(join(unpacked, 'resources', 'app.asar'), extracted);
    const sim = await startSimCluster({ nodes: 2, stateDir: join(work, 'sim'), sshPort: 0, addressBase: loopbackBlock().base, timeScale: 0.01, workload: false });
    try {
      await waitFor('both nodes registered', async () => {
        const { stdout } = await promisify(execFile)(kubectlPath(), ['--kubeconfig', sim.kubeconfigPath, 'get', 'nodes', '-o', 'name']);
        return stdout.trim().split('\n').length === 2;
      });
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(extracted, 'dist', 'cli', 'flatdeck.mjs'), 'nodes', '--ssh', '--json', '--kubeconfig', sim.kubeconfigPath, '--ssh-config', sim.sshConfigPath, '--data-dir', join(work, 'data')],
        { cwd: extracted, env: { PATH: process.env.PATH, HOME: work, KUBECONFIG: '', SSH_AUTH_SOCK: '' } },
      );
      const rows = JSON.parse(stdout) as NodeRow[];
      const version = await promisify(execFile)(process.execPath, [join(extracted, 'dist', 'cli', 'flatdeck.mjs'), '--version'], { cwd: extracted });
      assert.match(version.stdout, /^flatdeck \d+\.\d+\.\d+\n$/);
      assert.deepEqual(
        rows.map((r) => [r.name, r.versionSource, r.version, r.error]),
        sim.machines.map((m) => [m.name, 'ssh', m.osRelease().versionId, null]),
      );
    } finally {
      await sim.stop();
    }
  });
});
