// `npm run serve [-- --demo] [--port P] [--data-dir DIR]`: the renderer in your browser, the core in this
// process. Prints exactly one line to stdout, `flatdeck listening on <url-with-token>`; everything else
// goes to stderr.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultUserDataDir } from '../host/user-data-dir.ts';
import { UsageError, parseServeArgs, serveUsage } from './args.ts';

const rendererDir = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

async function ensureRendererBuild(): Promise<void> {
  if (existsSync(`${rendererDir}index.html`)) return;
  process.stderr.write('renderer/dist is missing; building it (npm run build) ...\n');
  const { buildRenderer } = await import('../../scripts/build-main.mjs');
  buildRenderer();
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseServeArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`npm run serve: ${err.message}\n${serveUsage}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${serveUsage}\n`);
    return;
  }
  await ensureRendererBuild();
  // Loaded only now, so argument errors and --help answer without loading the whole core.
  const { startCore } = await import('../host/start-core.ts');
  const { startBrowserServer } = await import('./server.ts');
  const core = await startCore({ dataDir: args.dataDir ?? defaultUserDataDir(), demo: args.demo ? 'always' : 'without-kubeconfig' });
  const token = process.env.FLATDECK_SERVE_TOKEN || undefined;
  const server = await startBrowserServer({ handler: core.handler, staticDir: rendererDir, port: args.port, ...(token ? { token } : {}) }).catch(async (err: unknown) => {
    await core.stop();
    throw err;
  });
  process.stdout.write(`flatdeck listening on ${server.url}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server
      .close()
      .then(() => core.stop())
      .then(() => process.exit(0), (err: unknown) => {
        process.stderr.write(`flatdeck: shutdown failed: ${String(err)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`npm run serve: ${message}\n`);
  process.exit(1);
});
