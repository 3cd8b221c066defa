// Drives the real OpenSSH client against the simulator (shared by the sim-ssh and sim-procedure tests).
import { spawn } from 'node:child_process';

export interface SshRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** `input` is the command's standard input (then EOF; none by default). */
export function ssh(sshConfigPath: string, host: string, command: string, extraOptions: string[] = [], input?: string): Promise<SshRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/ssh', ['-F', sshConfigPath, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', ...extraOptions, host, command], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // ssh exits without reading its input when the connection is refused (a rebooting node): the exit code says so.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

export async function control(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
