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

export interface ShellRunOptions {
  /** Covers the whole call: dialling, waiting for a free channel and running. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Sent as the command's standard input, then EOF (e.g. file content for `tee`). */
  stdin?: string;
  /** Output as it arrives, for commands that run until stopped; the result still carries all of it. */
  on?: { stdout?(s: string): void; stderr?(s: string): void };
  /**
   * Runs until stopped (a watch): while only such commands run on a connection it does not count against the
   * pool's cap, so watches of every node never starve other work; the result keeps only the start of the output.
   */
  longLived?: boolean;
}

/** Runs shell lines on one node over a shared connection; `reset` forgets it (the next line dials anew). */
export interface NodeShell {
  readonly node: string;
  run(line: string, opts?: ShellRunOptions): Promise<ExecResult>;
  reset(): void;
}

/** A key of another type already recorded for a host (OpenSSH warns about these on first contact). */
export interface KnownHostKey {
  keyType: string;
  fingerprint: string;
  file: string;
  line: number;
}

export interface HostKeyQuestion {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  /** Keys of other types known for this host: the new key is unknown, but the host is not. */
  otherKnownKeys: KnownHostKey[];
}

/** Questions only the operator can answer; app/service wires these to API prompts. */
export interface SshPrompter {
  confirmHostKey(q: HostKeyQuestion): Promise<boolean>;
  /** null = the operator declined */
  askPassphrase(q: { keyPath: string }): Promise<string | null>;
}
