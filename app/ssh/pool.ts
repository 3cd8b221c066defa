import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import { isValidHost } from './address.ts';
import { UnlockedKeys } from './auth.ts';
import { connectEndpoint, type ConnectDeps } from './connect.ts';
import { SshError, type SshErrorFacts } from './errors.ts';
import { HostKeyVerifier } from './host-key-verifier.ts';
import { JumpHosts, type JumpLease } from './jump.ts';
import { endpointKey, planConnection, type ConnectionPlan, type PlanDefaults } from './plan.ts';
import type { ExecResult, NodeShell, ShellRunOptions, SshPrompter, SshTarget } from './types.ts';

export interface SshPoolOptions extends PlanDefaults {
  prompter: SshPrompter;
  maxChannelsPerConnection?: number; // OpenSSH MaxSessions is 10; stay below it
  maxConnections?: number;           // idle connections are closed, least recently used first
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  maxOutputBytes?: number;           // per stream and command; more is dropped and `truncated` set
}

interface Connection {
  key: string;
  client: Client;
  jumpLease: JumpLease | undefined;
  channels: number;
  waiting: Array<() => void>;
  lastUsed: number;
  closed: boolean;
}

/** Errors from opening a channel on a connection that had already died: safe to retry on a new one. */
const CONNECTION_GONE = /No response from server|Not connected|socket has been ended|write after end|This socket has been ended/i;

/**
 * One SSH connection per node, reused for every command: at most `maxChannelsPerConnection` commands run at
 * once on it (the rest queue), at most `maxConnections` stay open. A connection that dies (a reboot) is
 * forgotten and the next command dials again.
 */
export class SshPool {
  readonly #opts: Required<Pick<SshPoolOptions, 'maxChannelsPerConnection' | 'maxConnections' | 'maxOutputBytes'>>;
  readonly #plan: PlanDefaults;
  readonly #deps: ConnectDeps;
  readonly #jumps: JumpHosts;
  readonly #unlockedKeys = new UnlockedKeys();
  /** Per node: the dial in progress, and once it succeeded, the connection itself. */
  readonly #connections = new Map<string, { pending: Promise<Connection>; conn?: Connection }>();
  readonly #slotWaiters: Array<() => void> = [];
  #connectsMade = 0;
  #closed = false;

  constructor(opts: SshPoolOptions) {
    this.#opts = {
      maxChannelsPerConnection: opts.maxChannelsPerConnection ?? 8,
      maxConnections: opts.maxConnections ?? 64,
      maxOutputBytes: opts.maxOutputBytes ?? 4 * 1024 * 1024,
    };
    this.#plan = opts;
    this.#deps = {
      verifier: new HostKeyVerifier(),
      prompter: opts.prompter,
      unlockedKeys: this.#unlockedKeys,
      connectTimeoutMs: opts.connectTimeoutMs ?? 15_000,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: opts.keepaliveCountMax ?? 3,
    };
    this.#jumps = new JumpHosts(this.#deps);
  }

  /** Runs one shell line on the node (the caller quoted it); `opts.on` passes output on as it arrives. */
  exec(target: SshTarget, line: string, opts: ShellRunOptions = {}): Promise<ExecResult> {
    return this.#run(target, line, opts);
  }

  /** One node's view of the pool: what a caller that works on a single node needs, and nothing else. */
  shell(target: SshTarget): NodeShell {
    return { node: target.nodeName, run: (line, opts = {}) => this.#run(target, line, opts), reset: () => this.drop(target) };
  }

  /** Forgets a node's connection (it is closed), e.g. after its reboot was requested. */
  drop(target: SshTarget): void {
    const key = this.#keyFor(target);
    const entry = this.#connections.get(key);
    this.#connections.delete(key);
    void entry?.pending.then((c) => this.#retire(c), () => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(all.map((e) => e.pending.then((c) => this.#retire(c), () => undefined)));
    this.#jumps.closeAll();
    this.#unlockedKeys.clear();
  }

  /** Counters for tests and benchmarks. */
  stats(): { openConnections: number; connectsMade: number } {
    return { openConnections: this.#connections.size, connectsMade: this.#connectsMade };
  }

  async #run(target: SshTarget, line: string, opts: ShellRunOptions): Promise<ExecResult> {
    const facts: SshErrorFacts = { node: target.nodeName, command: line };
    opts.signal?.throwIfAborted();
    if (!isValidHost(target.host)) {
      throw new SshError('unreachable', `${JSON.stringify(target.host)} is not a valid host name or IP address`, facts);
    }
    // The time limit covers the whole call: dialling, waiting for a free channel and running.
    const deadline = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
    const timedOut = () => new SshError('timeout',
      `${facts.node}: ${facts.command} did not finish within ${Math.round(opts.timeoutMs! / 1000)} s`, facts);
    for (let attempt = 0; ; attempt++) {
      const conn = await bounded(this.#connection(target), deadline, timedOut, opts.signal);
      await bounded(this.#acquireChannel(conn, opts.signal), deadline, timedOut, opts.signal, () => this.#releaseChannel(conn));
      try {
        const remaining = deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
        // Output listeners must be attached inside the exec callback: ssh2 may deliver the whole reply in
        // the same tick as the channel confirmation.
        return await openExec(conn.client, line, (channel) => this.#collect(channel, { ...opts, timeoutMs: remaining }, facts));
      } catch (e) {
        if (!(e instanceof ChannelOpenError)) throw e;
        if (attempt === 0 && CONNECTION_GONE.test(e.message)) {
          this.#forget(conn);
          continue; // nothing ran: dial again once
        }
        throw new SshError('disconnected', `${target.nodeName}: could not start ${line}: ${e.message}`, { ...facts, cause: e.message });
      } finally {
        this.#releaseChannel(conn);
      }
    }
  }

  #collect(channel: ClientChannel, opts: ShellRunOptions, facts: SshErrorFacts): Promise<ExecResult> {
    const limit = this.#opts.maxOutputBytes;
    return new Promise<ExecResult>((resolve, reject) => {
      const out = { stdout: new BoundedText(limit), stderr: new BoundedText(limit) };
      let exit: { code: number | null; signal: string | null } | undefined;
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (error !== undefined) {
          stop(channel);
          reject(error);
        } else if (exit === undefined) {
          reject(new SshError('disconnected', `${facts.node}: the connection closed while ${facts.command} was running`, {
            ...facts, stderrTail: out.stderr.text().slice(-800),
          }));
        } else {
          resolve({
            stdout: out.stdout.text(), stderr: out.stderr.text(), exitCode: exit.code, signal: exit.signal,
            ...(out.stdout.truncated || out.stderr.truncated ? { truncated: true } : {}),
          });
        }
      };
      const onAbort = () => finish(opts.signal!.reason);
      const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => finish(new SshError('timeout',
        `${facts.node}: ${facts.command} did not finish within ${Math.round(opts.timeoutMs! / 1000)} s`,
        { ...facts, stderrTail: out.stderr.text().slice(-800) })), opts.timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
      const take = (which: 'stdout' | 'stderr') => (chunk: Buffer) => {
        const text = decoders[which].write(chunk);
        out[which].append(text);
        if (text !== '') opts.on?.[which]?.(text);
      };
      channel.on('data', take('stdout'));
      channel.stderr.on('data', take('stderr'));
      channel.on('exit', (code: number | null, signal?: string) => {
        exit = { code: typeof code === 'number' ? code : null, signal: signal?.replace(/^SIG/, '') ?? null };
      });
      channel.on('close', () => finish());
      if (opts.stdin !== undefined) channel.end(opts.stdin);
    });
  }

  #keyFor(target: SshTarget, plan = planConnection(target, this.#plan)): string {
    return [target.nodeName, ...plan.jumps.map(endpointKey), endpointKey(plan.node)].join(' > ');
  }

  #connection(target: SshTarget): Promise<Connection> {
    if (this.#closed) return Promise.reject(new SshError('disconnected', 'The SSH pool is closed', { node: target.nodeName }));
    const plan = planConnection(target, this.#plan);
    const key = this.#keyFor(target, plan);
    const existing = this.#connections.get(key);
    if (existing) return existing.pending;
    const entry: { pending: Promise<Connection>; conn?: Connection } = { pending: this.#dial(key, plan, target.nodeName) };
    this.#connections.set(key, entry);
    entry.pending.then((conn) => {
      entry.conn = conn;
    }, () => {
      if (this.#connections.get(key) === entry) this.#connections.delete(key);
      this.#wakeSlotWaiter();
    });
    return entry.pending;
  }

  async #dial(key: string, plan: ConnectionPlan, nodeName: string): Promise<Connection> {
    await this.#makeRoom(key);
    this.#connectsMade++;
    let client: Client;
    let jumpLease: JumpLease | undefined;
    try {
      jumpLease = plan.jumps.length > 0 ? await this.#jumps.socketTo(plan.jumps, plan.node) : undefined;
      try {
        client = await connectEndpoint(plan.node, this.#deps, jumpLease?.socket);
      } catch (e) {
        jumpLease?.release();
        throw e;
      }
    } catch (e) {
      throw e instanceof SshError ? e.withFacts({ node: nodeName }) : e;
    }
    const conn: Connection = { key, client, jumpLease, channels: 0, waiting: [], lastUsed: Date.now(), closed: false };
    client.on('close', () => this.#forget(conn));
    client.on('error', () => this.#forget(conn)); // keepalive failures and resets end up in 'close' as well
    return conn;
  }

  /** Waits until one more connection stays within the cap, closing the least recently used idle one if needed. */
  async #makeRoom(key: string): Promise<void> {
    for (;;) {
      const others = [...this.#connections].filter(([k]) => k !== key).map(([, e]) => e);
      if (others.length < this.#opts.maxConnections) return;
      const idle = others.flatMap((e) => (e.conn && e.conn.channels === 0 && e.conn.waiting.length === 0 ? [e.conn] : []))
        .sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (idle) {
        this.#forget(idle);
        continue;
      }
      await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    }
  }

  /** Takes a dead or unwanted connection out of the pool and closes it. */
  #forget(conn: Connection): void {
    if (this.#connections.get(conn.key)?.conn === conn) this.#connections.delete(conn.key);
    this.#retire(conn);
  }

  #retire(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.client.end();
    conn.jumpLease?.release();
    for (const wake of conn.waiting.splice(0)) wake();
    this.#wakeSlotWaiter();
  }

  #wakeSlotWaiter(): void {
    this.#slotWaiters.shift()?.();
  }

  #acquireChannel(conn: Connection, signal?: AbortSignal): Promise<void> {
    conn.lastUsed = Date.now();
    if (conn.channels < this.#opts.maxChannelsPerConnection) {
      conn.channels++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        conn.waiting.splice(conn.waiting.indexOf(wake), 1);
        reject(signal!.reason);
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        conn.channels++;
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      conn.waiting.push(wake);
    });
  }

  #releaseChannel(conn: Connection): void {
    conn.channels--;
    conn.lastUsed = Date.now();
    const next = conn.waiting.shift();
    if (next) next();
    else if (conn.channels === 0) this.#wakeSlotWaiter();
  }
}

class ChannelOpenError extends Error {}

/**
 * Waits for `step` but gives up at the deadline or on abort. A step that completes after giving up is
 * undone with `undo` (a channel slot that was granted too late is handed back).
 */
function bounded<T>(step: Promise<T>, deadline: number | undefined, timedOut: () => Error, signal?: AbortSignal, undo?: (value: T) => void): Promise<T> {
  if (deadline === undefined && !signal) return step;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = deadline === undefined ? undefined : setTimeout(() => giveUp(timedOut()), Math.max(0, deadline - Date.now()));
    const onAbort = () => giveUp(signal!.reason);
    function giveUp(error: unknown) {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    step.then((value) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (done) undo?.(value);
      else {
        done = true;
        resolve(value);
      }
    }, (error: unknown) => {
      clearTimeout(timer);
      giveUp(error);
    });
  });
}

function openExec<T>(client: Client, line: string, run: (channel: ClientChannel) => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(line, { pty: false }, (err, channel) => {
        if (err) reject(new ChannelOpenError(err.message));
        else run(channel).then(resolve, reject);
      });
    } catch (e) {
      reject(new ChannelOpenError(e instanceof Error ? e.message : String(e)));
    }
  });
}

/** Ends a remote command early: signal it, then close the channel (servers that ignore signals hang up). */
function stop(channel: ClientChannel): void {
  try {
    channel.signal('KILL');
  } catch {
    // the channel may already be gone
  }
  channel.close();
}

/** Decoded text up to a byte budget; what does not fit is dropped and remembered as truncated. */
class BoundedText {
  #parts: string[] = [];
  #bytes = 0;
  truncated = false;
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  append(text: string): void {
    if (text === '' || this.truncated) return;
    const size = Buffer.byteLength(text);
    if (this.#bytes + size <= this.#limit) {
      this.#parts.push(text);
      this.#bytes += size;
      return;
    }
    this.#parts.push(Buffer.from(text).subarray(0, this.#limit - this.#bytes).toString('utf8').replace(/\uFFFD$/, ''));
    this.#bytes = this.#limit;
    this.truncated = true;
  }
  text(): string {
    return this.#parts.join('');
  }
}
