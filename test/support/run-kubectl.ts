// Runs a kubectl binary (the Go-built one by default) against a kubeconfig and collects its output.
import { spawn } from 'node:child_process';
import { kubectlPath } from './kubectl.ts';

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runKubectl(kubeconfig: string, args: readonly string[], opts: { binary?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.binary ?? kubectlPath(), ['--kubeconfig', kubeconfig, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBECONFIG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
