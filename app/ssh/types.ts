/** Where one node's SSH server is; `user` and `port` fall back to ~/.ssh/config, then `core` and 22. */
export interface SshTarget {
  nodeName: string;
  host: string;
  port?: number;
  user?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  /** set when output beyond the pool's size limit was dropped */
  truncated?: boolean;
}

/** Questions only the operator can answer; app/service wires these to API prompts. */
export interface SshPrompter {
  confirmHostKey(q: { host: string; port: number; keyType: string; fingerprint: string }): Promise<boolean>;
  /** null = the operator declined */
  askPassphrase(q: { keyPath: string }): Promise<string | null>;
}
