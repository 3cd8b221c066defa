import { z } from 'zod';

export const serveHelp = `usage: flatdeck serve [--demo] [--port P] [--data-dir DIR]
       (from a checkout: npm run serve [-- --demo] [--port P])

The desktop app's UI in your browser, the core in this process. Prints one line to stdout,
"flatdeck listening on <url with a one-time token>"; open it on this machine. Ctrl-C stops it.

  --demo          add the built-in simulated Flatcar cluster (also added when no kubeconfig exists)
  --port P        TCP port on 127.0.0.1 (default 0: a free port)
  --data-dir DIR  settings, activity log and journal (default: the desktop app's folder)
  -h, --help      show this text`;

export const serveOptions = {
  demo: { type: 'boolean' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const portMessage = '--port must be a whole number from 0 to 65535';

/** What node:util parseArgs made of the `serve` flags, checked. */
export const ServeArgs = z
  .object({
    values: z.object({
      demo: z.boolean().default(false),
      port: z.string().regex(/^\d{1,5}$/, portMessage).transform(Number).pipe(z.number().max(65535, portMessage)).default(0),
      'data-dir': z.string().min(1, '--data-dir must not be empty').optional(),
    }).loose(),
    positionals: z.array(z.string()).max(0),
  })
  .transform(({ values }) => ({ demo: values.demo, port: values.port, dataDir: values['data-dir'] ?? null }));
export type ServeArgs = z.infer<typeof ServeArgs>;
