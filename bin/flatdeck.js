#!/usr/bin/env node
// The `flatdeck` command: runs the compiled CLI. In a checkout (the TypeScript sources are beside it) the bundle
// in dist/cli-checkout is rebuilt first whenever a source file is newer, so `npm run flatdeck` and `npm run serve`
// always run what is in the tree; an installed package runs its dist/cli bundle as shipped.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const inCheckout = existsSync(join(root, 'main', 'cli', 'main.ts'));
const bundle = join(root, 'dist', inCheckout ? 'cli-checkout' : 'cli', 'flatdeck.mjs');

/** Newest modification time of any .ts file under the given folders. */
function newestSource(dirs) {
  let newest = 0;
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

if (inCheckout) {
  const built = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
  if (newestSource(['app', 'main', 'sim'].map((d) => join(root, d))) > built) {
    const { buildCli, checkoutCliDir } = await import('../scripts/build-main.mjs');
    await buildCli({ outDir: checkoutCliDir });
  }
} else if (!existsSync(bundle)) {
  process.stderr.write(`flatdeck: ${bundle} is missing; this installation is incomplete.\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
