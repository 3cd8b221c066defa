/**
 * The arguments of a command-line run of the app's binary (`flatdeck nodes`, `flatdeck serve`, `flatdeck
 * --version`), or null when it should open the window. A packaged binary's own arguments start at argv[1], the
 * development `electron dist/electron/main.mjs …` ones at argv[2]. A command is a word; the window's options
 * (`--demo`) and what desktops or macOS add (`-psn_…`, Chromium switches) are dashed.
 */
export function cliArguments(argv: readonly string[], isPackaged: boolean): string[] | null {
  const args = argv.slice(isPackaged ? 1 : 2);
  const first = args[0];
  if (first === undefined) return null;
  return /^[a-z]/.test(first) || ['--help', '-h', '--version', '-V'].includes(first) ? args : null;
}
