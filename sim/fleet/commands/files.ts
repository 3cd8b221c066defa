// cat and grep over the machine's few readable files, with GNU coreutils/grep messages and exit codes.
import type { FileLookup, Invocation } from './process.ts';

/** `-` (and no file at all) is standard input, as in GNU cat and grep. */
async function contentOf(inv: Invocation, path: string): Promise<FileLookup> {
  return path === '-' ? { kind: 'file', content: await inv.io.stdin() } : inv.host.readFile(path);
}

export async function cat(inv: Invocation): Promise<number> {
  const paths = inv.argv.length > 1 ? inv.argv.slice(1) : ['-'];
  let code = 0;
  for (const path of paths) {
    const file = await contentOf(inv, path);
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

export async function grep(inv: Invocation): Promise<number> {
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
  const re = basicRegExp(pattern);
  let matched = false;
  let failed = false;
  for (const path of files.length > 0 ? files : ['-']) {
    const file = await contentOf(inv, path);
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
    const lines = file.content === '' ? [] : file.content.replace(/\n$/, '').split('\n');
    for (const line of lines) {
      if (!re.test(line)) continue;
      matched = true;
      inv.io.stdout(files.length > 1 ? `${path}:${line}\n` : `${line}\n`);
    }
  }
  if (failed) return 2;
  return matched ? 0 : 1;
}

/** `tee FILE…`: standard input to stdout and into each file (root only under /etc, like the real one). */
export async function tee(inv: Invocation): Promise<number> {
  const files = inv.argv.slice(1);
  const option = files.find((a) => a.startsWith('-'));
  if (option !== undefined) {
    inv.io.stderr(`tee: invalid option -- '${option.slice(1, 2)}'\nTry 'tee --help' for more information.\n`);
    return 1;
  }
  const content = await inv.io.stdin();
  inv.io.stdout(content);
  let code = 0;
  for (const path of files) {
    const result = inv.host.etcFlatcar?.write(path, content, inv.root) ?? 'read-only';
    if (result !== 'written') {
      inv.io.stderr(`tee: ${path}: ${result === 'denied' ? 'Permission denied' : 'Read-only file system'}\n`);
      code = 1;
    }
  }
  return code;
}
