// Bundles the Electron main process (ESM) and the sandboxed preload (one self-contained CJS file) into
// dist/electron/, and the CLI into dist/cli/. npm packages stay external: electron-builder ships them from
// node_modules, and ssh2's optional native parts must not go through a bundler.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const mainBundle = join(root, 'dist', 'electron', 'main.mjs');
export const cliBundle = join(root, 'dist', 'cli', 'flatdeck.mjs');

/** Writes esbuild's output by rename, so a test packaging or launching the app never reads a half-written bundle. */
function writeAtomically(outputFiles) {
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
}

/** Chunk names carry a content hash; the ones an earlier build left behind would otherwise ship in app.asar. */
function removeStaleChunks(outputFiles) {
  const current = new Set(outputFiles.map((file) => file.path));
  const chunks = join(root, 'dist', 'cli', 'chunks');
  for (const name of readdirSync(chunks)) if (!current.has(join(chunks, name))) rmSync(join(chunks, name), { force: true });
}

export async function buildMain() {
  const common = { bundle: true, platform: 'node', target: 'node22', sourcemap: 'linked', logLevel: 'warning', absWorkingDir: root, write: false };
  const main = await build({
    ...common,
    entryPoints: ['main/electron/main.ts'],
    outfile: mainBundle,
    format: 'esm',
    packages: 'external',
  });
  const preload = await build({
    ...common,
    entryPoints: ['main/electron/preload.ts'],
    outfile: join(root, 'dist', 'electron', 'preload.cjs'),
    format: 'cjs',
    external: ['electron'],
  });
  // The CLI (and browser mode, `flatdeck serve`) in chunks: what only some commands need, like the demo's
  // simulator, is loaded by dynamic import() when asked for, so `flatdeck --help` stays fast.
  const cli = await build({
    ...common,
    entryPoints: { flatdeck: 'main/cli/main.ts' },
    outdir: join(root, 'dist', 'cli'),
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    splitting: true,
    packages: 'external',
  });
  writeAtomically([...main.outputFiles, ...preload.outputFiles, ...cli.outputFiles]);
  removeStaleChunks(cli.outputFiles);
}

/** vite build of renderer/ into renderer/dist; output goes to stderr so callers keep stdout clean. */
export function buildRenderer() {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) throw new Error('the renderer build failed (see the vite output above); fix it and run `npm run build`');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildMain();
  process.stderr.write(`built ${mainBundle}, preload.cjs and ${cliBundle}\n`);
}
