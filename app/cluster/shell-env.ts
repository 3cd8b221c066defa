import { execFile } from 'node:child_process';
import { delimiter } from 'node:path';

const START = '__FLATDECK_PATH_START__';
const END = '__FLATDECK_PATH_END__';

export interface LoginShellOptions {
  shell?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * PATH as the user's interactive login shell sets it. A desktop app started from a menu inherits a minimal PATH,
 * so exec credential plugins (aws, kubelogin, gke-gcloud-auth-plugin) would not be found. Markers around the
 * value skip whatever rc files print. Null when there is no usable shell or it does not answer in time.
 */
export function loginShellPath(opts: LoginShellOptions = {}): Promise<string | null> {
  const env = opts.env ?? process.env;
  const shell = opts.shell ?? env.SHELL;
  if (!shell || process.platform === 'win32') return Promise.resolve(null);
  return new Promise((resolve) => {
    const child = execFile(
      shell,
      ['-ilc', `printf '${START}%s${END}' "$PATH"`],
      { timeout: opts.timeoutMs ?? 5000, env, maxBuffer: 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout) => {
        const m = new RegExp(`${START}(.*?)${END}`, 's').exec(String(stdout));
        resolve(err && !m ? null : m?.[1] || null);
      },
    );
    child.stdin?.end();
  });
}

/** Entries of `preferred` first, then those of `current` not already present; order otherwise kept. */
export function mergePaths(preferred: string, current: string): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const dir of [...preferred.split(delimiter), ...current.split(delimiter)]) {
    if (dir === '' || seen.has(dir)) continue;
    seen.add(dir);
    out.push(dir);
  }
  return out.join(delimiter);
}

let once: Promise<string> | null = null;

/**
 * Resolves the login-shell PATH once per process and merges it into process.env.PATH, which client-node's
 * ExecAuth hands to every credential plugin it spawns. Returns the PATH in effect afterwards.
 */
export function ensureLoginShellPath(opts: LoginShellOptions = {}): Promise<string> {
  once ??= loginShellPath(opts).then((loginPath) => {
    if (loginPath) process.env.PATH = mergePaths(loginPath, process.env.PATH ?? '');
    return process.env.PATH ?? '';
  });
  return once;
}
