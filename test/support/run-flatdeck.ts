import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const BIN = new URL('../../bin/flatdeck.js', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the installed `flatdeck` bin to completion with HOME set to `home` and no ambient kubeconfig or ssh-agent,
 * so only the flags decide what it talks to. A non-zero exit is a result, not an exception.
 */
export async function runFlatdeck(home: string, args: readonly string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { ...process.env, KUBECONFIG: '', HOME: home, SSH_AUTH_SOCK: '' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
