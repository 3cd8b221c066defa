import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import { isValidHost } from './address.ts';
import { UnlockedKeys } from './auth.ts';
import { connectEndpoint, type ConnectDeps } from './connect.ts';
import { SshError, type SshErrorFacts } from './errors.ts';
import { HostKeyVerifier } from './host-key-verifier.ts';
import { JumpHosts, type JumpLease } from './jump.ts';
import { SSH_FAN_OUT } from './map-limited.ts';
import { endpointKey, planConnection, type ConnectionPlan, type PlanDefaults } from './plan.ts';
import type { ExecResult, NodeShell, ShellRunOptions, SshPrompter, SshTarget } from './types.ts';

export interface SshPoolOptions extends PlanDefaults {
  prompter: SshPrompter;
  maxChannelsPerConnection?: number; // OpenSSH MaxSessions is 10; stay below it
  maxConnections?: number;           // sockets open at once (default: the SSH fan-out); idle ones are closed, least recently used first
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
  /** Of those channels, commands that run until stopped (watches). */
  longLived: number;
  waiting: Array<() => void>;
  /** When it was last used, as a count of uses across the pool (clock milliseconds would tie). */
  lastUsed: number;
  closed: boolean;
  /** Hands the connection's place under the cap back (once): when its socket has closed. */
  freeSlot: () => void;
}

/** A node's place in the pool: the dial in progress, the connection once it succeeded, and callers about to use it. */
interface Entry {
  pending: Promise<Connection>;
  conn?: Connection;
  claims: number;
}

/** How long a closing connection may take to say goodbye before its socket no longer counts against the cap. */
const CLOSE_GRACE_MS = 5000;

/** What a long-lived command's result keeps of its output (the rest only went to its listeners). */
const LONG_LIVED_OUTPUT_BYTES = 64 * 1024;

/** Errors from opening a channel on a connection that had already died: safe to retry on a new one. */
const CONNECTION_GONE = /No response from server|Not connected|socket has been ended|write after end|This socket has been ended/i;

/**
 * One SSH connection per node, reused for every command: at most `maxChannelsPerConnection` commands run at
 * once on it (the rest queue). At most `maxConnections` sockets are open at once, counted from before the dial
 * until the socket has closed: beyond it, the least recently used idle connection is closed first, and when
 * every one is busy the dial waits. A connection that only carries long-lived commands (watches) is not counted:
 * it is parked, and a watch of every node leaves the cap to the rest of the work. A connection that dies (a
 * reboot) is forgotten and the next command dials again.
 */
export class SshPool {
  readonly #opts: Required<Pick<SshPoolOptions, 'maxChannelsPerConnection' | 'maxConnections' | 'maxOutputBytes'>>;
  readonly #plan: PlanDefaults;
  readonly #deps: ConnectDeps;
  readonly #jumps: JumpHosts;
  readonly #unlockedKeys = new UnlockedKeys();
  readonly #connections = new Map<string, Entry>();
  readonly #slotWaiters: Array<() => void> = [];
  /** Sockets dialling, open or closing: what the cap counts. */
  #slotsTaken = 0;
  /** Of those, connections told to close whose socket has not closed yet. */
  #closing = 0;
  /** Dials waiting for a place under the cap. */
  #waitingDials = 0;
  #uses = 0;
  #connectsMade = 0;
  #closed = false;

  constructor(opts: SshPoolOptions) {
    this.#opts = {
      maxChannelsPerConnection: opts.maxChannelsPerConnection ?? 8,
      maxConnections: opts.maxConnections ?? SSH_FAN_OUT,
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
    for (const wake of this.#slotWaiters.splice(0)) wake();
  }

  /** Counters for tests and benchmarks. */
  stats(): { openConnections: number; connectsMade: number; socketsTaken: number } {
    return { openConnections: this.#connections.size, connectsMade: this.#connectsMade, socketsTaken: this.#slotsTaken };
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
      const conn = await this.#connectionWithChannel(target, deadline, timedOut, opts.signal);
      if (opts.longLived) {
        conn.longLived++;
        this.#wakeSlotWaiter(); // the connection may just have become parked
      }
      try {
        const remaining = deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
        // Output listeners must be attached inside the exec callback: ssh2 may deliver the whole reply in
        // the same tick as the channel confirmation.
        return await openExec(conn.client, line, (channel) => this.#collect(channel, { ...opts, timeoutMs: remaining }, facts), { deadline, timedOut, signal: opts.signal });
      } catch (e) {
        if (!(e instanceof ChannelOpenError)) throw e;
        if (attempt === 0 && CONNECTION_GONE.test(e.message)) {
          this.#forget(conn);
          continue; // nothing ran: dial again once
        }
        throw new SshError('disconnected', `${target.nodeName}: could not start ${line}: ${e.message}`, { ...facts, cause: e.message });
      } finally {
        if (opts.longLived) conn.longLived--;
        this.#releaseChannel(conn);
      }
    }
  }

  #collect(channel: ClientChannel, opts: ShellRunOptions, facts: SshErrorFacts): Promise<ExecResult> {
    const limit = opts.longLived ? Math.min(LONG_LIVED_OUTPUT_BYTES, this.#opts.maxOutputBytes) : this.#opts.maxOutputBytes;
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

  /**
   * The node's connection with a channel held on it. Until the channel is held the connection is claimed, so
   * making room for another node cannot close it in between.
   */
  async #connectionWithChannel(target: SshTarget, deadline: number | undefined, timedOut: () => Error, signal?: AbortSignal): Promise<Connection> {
    const entry = this.#entry(target);
    entry.claims++;
    try {
      const conn = await bounded(entry.pending, deadline, timedOut, signal);
      await bounded(this.#acquireChannel(conn, signal), deadline, timedOut, signal, () => this.#releaseChannel(conn));
      return conn;
    } finally {
      entry.claims--;
    }
  }

  #entry(target: SshTarget): Entry {
    if (this.#closed) throw new SshError('disconnected', 'The SSH pool is closed', { node: target.nodeName });
    const plan = planConnection(target, this.#plan);
    const key = this.#keyFor(target, plan);
    const existing = this.#connections.get(key);
    if (existing) return existing;
    const entry: Entry = { pending: this.#dial(key, plan, target.nodeName), claims: 0 };
    this.#connections.set(key, entry);
    entry.pending.then((conn) => {
      entry.conn = conn;
    }, () => {
      if (this.#connections.get(key) === entry) this.#connections.delete(key);
    });
    return entry;
  }

  async #dial(key: string, plan: ConnectionPlan, nodeName: string): Promise<Connection> {
    await this.#takeSlot(nodeName);
    let slotHeld = true;
    const freeSlot = (wasClosing: boolean) => {
      if (!slotHeld) return;
      slotHeld = false;
      if (wasClosing) this.#closing--;
      this.#slotsTaken--;
      this.#wakeSlotWaiter();
    };
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
      freeSlot(false);
      throw e instanceof SshError ? e.withFacts({ node: nodeName }) : e;
    }
    const conn: Connection = {
      key, client, jumpLease, channels: 0, longLived: 0, waiting: [], lastUsed: ++this.#uses, closed: false, freeSlot: () => freeSlot(conn.closed),
    };
    client.on('close', () => {
      this.#forget(conn);
      conn.freeSlot();
    });
    client.on('error', () => this.#forget(conn)); // keepalive failures and resets end up in 'close' as well
    return conn;
  }

  /**
   * Waits for a place under the cap. When none is free, the least recently used idle connection is closed
   * (unless enough are closing already for the dials waiting); when all are busy the dial queues.
   */
  async #takeSlot(nodeName: string): Promise<void> {
    this.#waitingDials++;
    try {
      for (;;) {
        if (this.#closed) throw new SshError('disconnected', 'The SSH pool is closed', { node: nodeName });
        if (this.#slotsTaken - this.#parked() < this.#opts.maxConnections) {
          this.#slotsTaken++;
          return;
        }
        const idle = this.#closing < this.#waitingDials ? this.#leastRecentlyUsedIdle() : undefined;
        if (idle) this.#forget(idle); // its socket's close frees the place and wakes a waiting dial
        await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
      }
    } finally {
      this.#waitingDials--;
    }
  }

  /** Open connections whose every channel runs a long-lived command: they do not count against the cap. */
  #parked(): number {
    let parked = 0;
    for (const e of this.#connections.values()) if (e.conn && !e.conn.closed && e.conn.channels > 0 && e.conn.channels === e.conn.longLived) parked++;
    return parked;
  }

  /** An open connection with no command running, none queued and no caller about to use it. */
  #leastRecentlyUsedIdle(): Connection | undefined {
    return [...this.#connections.values()]
      .flatMap((e) => (e.conn && e.claims === 0 && e.conn.channels === 0 && e.conn.waiting.length === 0 ? [e.conn] : []))
      .sort((a, b) => a.lastUsed - b.lastUsed)[0];
  }

  /** Takes a dead or unwanted connection out of the pool and closes it. */
  #forget(conn: Connection): void {
    if (this.#connections.get(conn.key)?.conn === conn) this.#connections.delete(conn.key);
    this.#retire(conn);
  }

  #retire(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.#closing++;
    conn.client.end();
    // A peer that never answers the goodbye must not hold a place under the cap for ever.
    setTimeout(conn.freeSlot, CLOSE_GRACE_MS).unref();
    conn.jumpLease?.release();
    for (const wake of conn.waiting.splice(0)) wake();
  }

  #wakeSlotWaiter(): void {
    this.#slotWaiters.shift()?.();
  }

  #acquireChannel(conn: Connection, signal?: AbortSignal): Promise<void> {
    conn.lastUsed = ++this.#uses;
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
    conn.lastUsed = ++this.#uses;
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

/**
 * Opens an exec channel and runs `run` on it. The wait for the server to confirm the channel has the call's limit
 * and signal too (a server that stops answering but keeps the connection would hold it for good); a channel
 * confirmed after the caller gave up is closed at once.
 */
function openExec<T>(client: Client, line: string, run: (channel: ClientChannel) => Promise<T>, limit: { deadline: number | undefined; timedOut: () => Error; signal: AbortSignal | undefined }): Promise<T> {
  return new Promise((resolve, reject) => {
    let state: 'opening' | 'open' | 'abandoned' = 'opening';
    const timer = limit.deadline === undefined ? undefined : setTimeout(() => abandon(limit.timedOut()), Math.max(0, limit.deadline - Date.now()));
    const onAbort = () => abandon(limit.signal!.reason);
    limit.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      limit.signal?.removeEventListener('abort', onAbort);
    };
    function abandon(error: unknown) {
      if (state !== 'opening') return;
      state = 'abandoned';
      settle();
      reject(error);
    }
    try {
      client.exec(line, { pty: false }, (err, channel) => {
        if (state === 'abandoned') {
          if (!err) stop(channel);
          return;
        }
        state = 'open';
        settle();
        if (err) reject(new ChannelOpenError(err.message));
        else run(channel).then(resolve, reject);
      });
    } catch (e) {
      state = 'open';
      settle();
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
