// cat and grep over the machine's few readable files, with GNU coreutils/grep messages and exit codes.
import type { Invocation } from './process.ts';

export function cat(inv: Invocation): number {
  let code = 0;
  for (const path of inv.argv.slice(1)) {
    const file = inv.host.readFile(path);
    if (file?.kind === 'file') {
      inv.io.stdout(file.content);
    } else {
      inv.io.stderr(`cat: ${path}: ${file ? 'Is a directory' : 'No such file or directory'}\n`);
      code = 1;
    }
  }
  return code;
}

// grep's default syntax is a basic regular expression: + ? | ( ) { } are literal characters there.
function basicRegExp(pattern: string): RegExp {
  const translated = pattern.replace(/[+?|(){}]/g, (c) => `\\${c}`);
  try {
    return new RegExp(translated);
  } catch {
    return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}

export function grep(inv: Invocation): number {
  const args = inv.argv.slice(1);
  const option = args.find((a) => a.startsWith('-') && a !== '-');
  if (option !== undefined) {
    inv.io.stderr(`grep: invalid option -- '${option.slice(1, 2)}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n`);
    return 2;
  }
  const [pattern, ...files] = args;
  if (pattern === undefined) {
    inv.io.stderr("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n");
    return 2;
  }
  // Standard input of an SSH exec without input is empty.
  if (files.length === 0) return 1;
  const re = basicRegExp(pattern);
  let matched = false;
  let failed = false;
  for (const path of files) {
    const file = inv.host.readFile(path);
    if (file?.kind === 'directory') {
      inv.io.stderr(`grep: ${path}: Is a directory\n`);
      failed = true;
      continue;
    }
    if (!file) {
      inv.io.stderr(`grep: ${path}: No such file or directory\n`);
      failed = true;
      continue;
    }
    const lines = file.content.endsWith('\n') ? file.content.slice(0, -1).split('\n') : file.content.split('\n');
    for (const line of lines) {
      if (!re.test(line)) continue;
      matched = true;
      inv.io.stdout(files.length > 1 ? `${path}:${line}\n` : `${line}\n`);
    }
  }
  if (failed) return 2;
  return matched ? 0 : 1;
}
