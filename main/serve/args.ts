import { parseArgs } from 'node:util';
import { z } from 'zod';

export const serveUsage = `usage: npm run serve [-- --demo] [--port P] [--data-dir DIR]

  --demo          add the built-in simulated Flatcar cluster (also added when no kubeconfig exists)
  --port P        TCP port on 127.0.0.1 (default 0: a free port)
  --data-dir DIR  settings, activity log and journal (default: the desktop app's folder)
  --help          show this text`;

const ServeArgs = z.object({
  demo: z.boolean(),
  port: z
    .string()
    .regex(/^\d{1,5}$/, '--port must be a whole number from 0 to 65535')
    .transform(Number)
    .pipe(z.number().max(65535, '--port must be a whole number from 0 to 65535')),
  dataDir: z.string().min(1, '--data-dir must not be empty').nullable(),
  help: z.boolean(),
});
export type ServeArgs = z.infer<typeof ServeArgs>;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses `npm run serve` arguments; throws UsageError with an operator-readable message. */
export function parseServeArgs(argv: readonly string[]): ServeArgs {
  let values: { demo?: boolean; port?: string; 'data-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        demo: { type: 'boolean' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const parsed = ServeArgs.safeParse({
    demo: values.demo ?? false,
    port: values.port ?? '0',
    dataDir: values['data-dir'] ?? null,
    help: values.help ?? false,
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}
