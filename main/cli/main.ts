// `flatdeck` (bin/flatdeck.js) and `npm run flatdeck -- …`: the command-line host of the core.
import { runCli } from './run.ts';
import { controlStripping } from './terminal-text.ts';

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

process.exitCode = await runCli(process.argv.slice(2), {
  // Everything the CLI prints may quote what nodes report; no control sequence of theirs reaches the terminal.
  stdout: controlStripping(process.stdout),
  stderr: controlStripping(process.stderr),
  stdin: process.stdin,
  env: process.env,
  signal: abort.signal,
});
