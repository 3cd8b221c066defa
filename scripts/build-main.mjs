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

const cliDir = join(root, 'dist', 'cli');
/**
 * Where bin/flatdeck.js keeps the CLI it rebuilds in a checkout: apart from dist/cli, so a `flatdeck` started by a
 * test never rewrites what electron-builder is packing at that moment.
 */
export const checkoutCliDir = join(root, 'dist', 'cli-checkout');
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'error', absWorkingDir: root, write: false };

/**
 * Chunk names carry a content hash; the ones an earlier build left behind would otherwise ship in app.asar. Only
 * for packaging: in a checkout a flatdeck process that started before a rebuild may still load its old chunks.
 */
function removeStaleChunks(outputFiles, dir) {
  const current = new Set(outputFiles.map((file) => file.path));
  for (const name of readdirSync(dir)) if (/^chunk-/.test(name) && !current.has(join(dir, name))) rmSync(join(dir, name), { force: true });
}

/**
 * The CLI (and browser mode, `flatdeck serve`) in chunks beside the entry, all in one folder so paths relative
 * to import.meta.url (the FLUO manifests, the renderer build) resolve alike from every file. What only some
 * commands need, like the demo's simulator, is loaded by dynamic import() when asked for.
 */
export async function buildCli({ outDir = cliDir, pruneStale = false } = {}) {
  const cli = await build({
    ...common,
    entryPoints: { flatdeck: 'main/cli/main.ts' },
    outdir: outDir,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    splitting: true,
    packages: 'external',
  });
  writeAtomically(cli.outputFiles);
  if (pruneStale) removeStaleChunks(cli.outputFiles, outDir);
}

/** Everything `npm start` and packaging need: the Electron main and preload bundles and the CLI. */
export async function buildMain({ pruneStale = false } = {}) {
  // In chunks too, so the demo's simulator is read from disk only when the demo starts.
  const main = await build({
    ...common,
    entryPoints: { main: 'main/electron/main.ts' },
    outdir: dirname(mainBundle),
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    splitting: true,
    packages: 'external',
  });
  const preload = await build({
    ...common,
    entryPoints: ['main/electron/preload.ts'],
    outfile: join(root, 'dist', 'electron', 'preload.cjs'),
    format: 'cjs',
    external: ['electron'],
  });
  writeAtomically([...main.outputFiles, ...preload.outputFiles]);
  if (pruneStale) removeStaleChunks(main.outputFiles, dirname(mainBundle));
  await buildCli({ pruneStale });
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
  await buildMain({ pruneStale: true });
  process.stderr.write(`built ${mainBundle}, preload.cjs and ${cliBundle}\n`);
}
