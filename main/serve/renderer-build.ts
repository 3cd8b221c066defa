import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The renderer build, two folders up from here and from the CLI bundle in dist/cli/ alike (also inside app.asar). */
export const rendererDir = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

/** In a checkout without `npm run build` yet, builds the renderer once (a package always ships it). */
export async function ensureRendererBuild(log: NodeJS.WritableStream): Promise<void> {
  if (existsSync(`${rendererDir}index.html`)) return;
  log.write('renderer/dist is missing; building it (npm run build) ...\n');
  const { buildRenderer } = await import('../../scripts/build-main.mjs');
  buildRenderer();
}
