import { PassThrough } from 'node:stream';
import type { CliIo } from '../../main/cli/command.ts';

/** The streams a CLI command gets, kept in memory: `out()` and `err()` read back what it printed so far. */
export function capturedIo(): CliIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { stdout, stderr, stdin: new PassThrough(), env: {}, signal: new AbortController().signal, out: () => out, err: () => err };
}
