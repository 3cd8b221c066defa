// mv, rm and mktemp as GNU coreutils answer them, over the node's one writable directory (/etc/flatcar):
// what an atomic rewrite of update.conf runs (write a temporary file next to it, then rename it over).
import { randomBytes } from 'node:crypto';
import type { Invocation } from './process.ts';

const REASON = { denied: 'Permission denied', 'read-only': 'Read-only file system', missing: 'No such file or directory' } as const;

function splitOptions(inv: Invocation, allowed: RegExp): { options: string[]; operands: string[] } | string {
  const options: string[] = [];
  const operands: string[] = [];
  let endOfOptions = false;
  for (const arg of inv.argv.slice(1)) {
    if (!endOfOptions && arg === '--') endOfOptions = true;
    else if (!endOfOptions && arg.startsWith('-') && arg !== '-') {
      if (!allowed.test(arg)) return arg;
      options.push(arg);
    } else operands.push(arg);
  }
  return { options, operands };
}

export function mv(inv: Invocation): number {
  const parsed = splitOptions(inv, /^(-[fT]+|--force|--no-target-directory)$/);
  if (typeof parsed === 'string') {
    inv.io.stderr(`mv: invalid option -- '${parsed.replace(/^-+/, '').slice(0, 1)}'\nTry 'mv --help' for more information.\n`);
    return 1;
  }
  const [from, to, ...extra] = parsed.operands;
  if (from === undefined || to === undefined || extra.length > 0) {
    inv.io.stderr(from === undefined ? "mv: missing file operand\nTry 'mv --help' for more information.\n" : `mv: missing destination file operand after '${from}'\nTry 'mv --help' for more information.\n`);
    return 1;
  }
  const result = inv.host.etcFlatcar?.rename(from, to, inv.root) ?? 'read-only';
  if (result === 'renamed') return 0;
  inv.io.stderr(result === 'missing' ? `mv: cannot stat '${from}': No such file or directory\n` : `mv: cannot move '${from}' to '${to}': ${REASON[result]}\n`);
  return 1;
}

export function rm(inv: Invocation): number {
  const parsed = splitOptions(inv, /^(-f|--force)$/);
  if (typeof parsed === 'string') {
    inv.io.stderr(`rm: invalid option -- '${parsed.replace(/^-+/, '').slice(0, 1)}'\nTry 'rm --help' for more information.\n`);
    return 1;
  }
  const force = parsed.options.length > 0;
  if (parsed.operands.length === 0) {
    if (force) return 0;
    inv.io.stderr("rm: missing operand\nTry 'rm --help' for more information.\n");
    return 1;
  }
  let code = 0;
  for (const path of parsed.operands) {
    const result = inv.host.etcFlatcar?.remove(path, inv.root) ?? 'read-only';
    if (result === 'removed' || (result === 'missing' && force)) continue;
    inv.io.stderr(`rm: cannot remove '${path}': ${REASON[result]}\n`);
    code = 1;
  }
  return code;
}

/** `mktemp [-p DIR] TEMPLATE` or `mktemp DIR/TEMPLATE`: creates an empty file, prints its path. */
export function mktemp(inv: Invocation): number {
  const args = inv.argv.slice(1);
  let dir: string | undefined;
  if (args[0] === '-p' || args[0] === '--tmpdir') {
    dir = args[1];
    args.splice(0, 2);
  }
  const [template, ...extra] = args;
  if (template === undefined || extra.length > 0 || template.startsWith('-')) {
    inv.io.stderr(template === undefined ? 'mktemp: the simulated node needs a TEMPLATE under /etc/flatcar\n' : "mktemp: too many templates\nTry 'mktemp --help' for more information.\n");
    return 1;
  }
  const xs = /X+$/.exec(template)?.[0].length ?? 0;
  if (xs < 3) {
    inv.io.stderr(`mktemp: too few X's in template '${template}'\n`);
    return 1;
  }
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = [...randomBytes(xs)].map((b) => alphabet[b % alphabet.length]).join('');
  const path = `${dir ? `${dir.replace(/\/+$/, '')}/` : ''}${template.slice(0, -xs)}${suffix}`;
  const files = inv.host.etcFlatcar;
  const result = files?.has(path) ? 'exists' : (files?.write(path, '', inv.root) ?? 'read-only');
  if (result === 'written') {
    inv.io.stdout(`${path}\n`);
    return 0;
  }
  inv.io.stderr(`mktemp: failed to create file via template '${path.slice(0, -xs)}${'X'.repeat(xs)}': ${result === 'exists' ? 'File exists' : REASON[result]}\n`);
  return 1;
}
