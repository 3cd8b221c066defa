// The `flatdeck` command: bundled to dist/cli/flatdeck.mjs (bin/flatdeck.js runs it; the packaged app's binary
// imports it for its command-line mode).
import { fileURLToPath } from 'node:url';
import { runCli } from './run.ts';
import { controlStripping } from './terminal-text.ts';

/** Runs one command line in this process with its real terminal; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const abort = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      // First signal: let the command stop cleanly (pipeline commands leave no node cordoned by accident);
      // a second one, or a command that does not stop within 10 s, ends the process.
      if (abort.signal.aborted) process.exit(130);
      abort.abort(new Error(`interrupted by ${sig}`));
      setTimeout(() => process.exit(130), 10_000).unref();
    });
  }
  return runCli(argv, {
    // Everything the CLI prints may quote what nodes report; no control sequence of theirs reaches the terminal.
    stdout: controlStripping(process.stdout),
    stderr: controlStripping(process.stderr),
    stdin: process.stdin,
    env: process.env,
    signal: abort.signal,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
