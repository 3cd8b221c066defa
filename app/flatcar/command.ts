/**
 * A remote command as an argument vector. Only the builders in this folder create them, from fixed words:
 * nothing that comes from a node name, address or user name ever becomes part of a Command.
 */
export interface Command {
  readonly argv: readonly string[];
  readonly sudo: boolean;
}

/** Words the shell passes through untouched anywhere in a command line. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

export function command(argv: readonly string[], sudo = false): Command {
  return Object.freeze({ argv: Object.freeze([...argv]), sudo });
}

/**
 * POSIX single-quote quoting: inside '…' every character is literal, so only the quote itself needs the
 * close-escape-reopen dance. `=` is left out of plain words so a first word can never read as an assignment.
 */
export function quoteWord(word: string): string {
  if (word.includes('\0')) throw new RangeError('a shell word cannot contain a NUL character');
  if (PLAIN_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The one place a Command becomes a shell line (what ssh2 `exec` sends). */
export function toShellLine(cmd: Command): string {
  if (cmd.argv.length === 0) throw new RangeError('a command needs at least one word');
  const words = cmd.argv.map(quoteWord);
  return (cmd.sudo ? ['sudo', '-n', ...words] : words).join(' ');
}

