import { defaultUserDataDir } from '../../host/user-data-dir.ts';
import { ServeArgs, serveHelp, serveOptions } from '../../serve/args.ts';
import { ensureRendererBuild, rendererDir } from '../../serve/renderer-build.ts';
import { defineCommand, EXIT } from '../command.ts';

export const serveCommand = defineCommand({
  name: 'serve',
  help: serveHelp,
  options: serveOptions,
  args: ServeArgs,
  async run(args: ServeArgs, io) {
    await ensureRendererBuild(io.stderr);
    // Loaded only now, so argument errors and --help answer without loading the whole core.
    const { startCore } = await import('../../host/start-core.ts');
    const { startBrowserServer } = await import('../../serve/server.ts');
    const core = await startCore({ dataDir: args.dataDir ?? defaultUserDataDir(io.env), demo: args.demo ? 'always' : 'without-kubeconfig', env: io.env });
    // FLATDECK_SERVE_TOKEN keeps the token of an earlier launch: pages still open reconnect after a restart.
    const token = io.env.FLATDECK_SERVE_TOKEN || undefined;
    const server = await startBrowserServer({ handler: core.handler, staticDir: rendererDir, port: args.port, ...(token ? { token } : {}) }).catch(async (err: unknown) => {
      await core.stop();
      throw err;
    });
    io.stdout.write(`flatdeck listening on ${server.url}\n`);
    await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
    await server.close();
    await core.stop();
    return EXIT.ok;
  },
});
