// One node's sshd: ssh2 Server on the node's own loopback address, public-key auth for user core,
// exec requests answered by the simulated shell, an optional interactive shell with the Flatcar MOTD.
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ServerChannel, Session } from 'ssh2';
import type { AuthorizedKeys } from './authorized-keys.ts';
import type { ProcessIO } from './commands/process.ts';

const USER = 'core';
const SERVER_IDENT = 'OpenSSH_9.6';

export interface SshServerBehaviour {
  /** delay (real ms) before answering authentication and each exec, 0 for none */
  delayMs(): number;
  rejectAuth(): boolean;
  dropNewConnections(): boolean;
}

export interface NodeSshServerOptions {
  address: string;
  port: number;
  authorizedKeys: AuthorizedKeys;
  behaviour: SshServerBehaviour;
  runCommand(line: string, io: ProcessIO): Promise<number>;
  motd(): string;
  prompt(): string;
}

const wait = (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : resolve()));

/** The channel's input as text once the client sends EOF or the channel closes. */
function readToEnd(channel: ServerChannel): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  return new Promise((resolve) => {
    const done = () => resolve(text + decoder.end());
    channel.on('data', (chunk: Buffer) => (text += decoder.write(chunk)));
    channel.once('end', done);
    channel.once('close', done);
  });
}

export class NodeSshServer {
  private server: InstanceType<typeof ssh2.Server> | null = null;
  private readonly connections = new Set<Connection>();
  private boundPort: number;
  private pending: Promise<unknown> = Promise.resolve();
  private running = 0;
  private readonly terminals = new Set<ProcessIO>();

  constructor(private readonly opts: NodeSshServerOptions) {
    this.boundPort = opts.port;
  }

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  /** Starts listening with the given host key; the first start with port 0 picks a port that later starts reuse. */
  listen(hostKey: string): Promise<number> {
    return this.serialized(async () => {
      if (this.server) return this.boundPort;
      const server = new ssh2.Server({ hostKeys: [hostKey], ident: SERVER_IDENT }, (client) => this.onConnection(client));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.boundPort, this.opts.address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      if (address && typeof address === 'object') this.boundPort = address.port;
      this.server = server;
      return this.boundPort;
    });
  }

  /** Stops accepting connections and closes the open ones (what a shutdown does to sshd). */
  close(): Promise<void> {
    return this.serialized(async () => {
      const server = this.server;
      this.server = null;
      this.dropConnections();
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    });
  }

  // Reboots, host key changes and shutdown may overlap; listener changes happen one after the other.
  private serialized<T>(op: () => Promise<T>): Promise<T> {
    const result = this.pending.then(op);
    this.pending = result.catch(() => undefined);
    return result;
  }

  /** Cuts every open connection at the TCP level, as a dying sshd does ("closed by remote host"). */
  dropConnections(): void {
    for (const client of this.connections) {
      const socket = (client as unknown as { _sock?: Socket })._sock;
      if (socket) socket.destroy();
      else client.end();
    }
    this.connections.clear();
  }

  private onConnection(client: Connection): void {
    if (this.opts.behaviour.dropNewConnections()) {
      client.on('error', () => undefined);
      (client as unknown as { _sock?: Socket })._sock?.destroy();
      return;
    }
    // Small request/response exchanges would otherwise wait on Nagle's algorithm and delayed ACKs.
    (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    this.connections.add(client);
    client.on('close', () => this.connections.delete(client));
    client.on('error', () => this.connections.delete(client));
    client.on('authentication', (ctx) => void this.authenticate(ctx));
    client.on('ready', () => client.on('session', (accept) => this.onSession(accept())));
  }

  private async authenticate(ctx: AuthContext): Promise<void> {
    await wait(this.opts.behaviour.delayMs());
    if (ctx.method !== 'publickey' || ctx.username !== USER || this.opts.behaviour.rejectAuth()) return ctx.reject(['publickey']);
    const key = this.opts.authorizedKeys.find(ctx.key);
    if (!key) return ctx.reject(['publickey']);
    if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
    ctx.accept();
  }

  private onSession(session: Session): void {
    let pty = false;
    session.on('pty', (accept) => {
      pty = true;
      accept?.();
    });
    session.on('env', (accept) => accept?.());
    session.on('window-change', (accept) => accept?.());
    session.on('exec', (accept, _reject, info) => {
      const channel = accept();
      void this.runExec(channel, info.command);
    });
    session.on('shell', (accept) => this.runShell(accept(), pty));
  }

  private channelIO(channel: ServerChannel, newline: string, stdin: () => Promise<string>): { io: ProcessIO; closed: AbortSignal } {
    const controller = new AbortController();
    channel.on('close', () => controller.abort());
    const fix = (text: string) => (newline === '\n' ? text : text.replace(/\n/g, newline));
    const io: ProcessIO = {
      stdout: (text) => {
        if (!controller.signal.aborted) channel.write(fix(text));
      },
      stderr: (text) => {
        if (!controller.signal.aborted) channel.stderr.write(fix(text));
      },
      stdin,
      signal: controller.signal,
    };
    return { io, closed: controller.signal };
  }

  /** Writes to every logged-in terminal, as a wall message reaches the utmp lines; returns how many. */
  writeToTerminals(text: string): number {
    for (const io of this.terminals) io.stdout(text);
    return this.terminals.size;
  }

  /** Commands running from exec requests right now (a client that hangs up ends its command). */
  get runningCommands(): number {
    return this.running;
  }

  private async runExec(channel: ServerChannel, command: string): Promise<void> {
    // ssh2 reports the client's channel close only after the channel's input has been read to its end, so the
    // input is always consumed (and kept for the command) even when the command never asks for it.
    const input = readToEnd(channel);
    const { io, closed } = this.channelIO(channel, '\n', () => input);
    this.running++;
    try {
      await wait(this.opts.behaviour.delayMs());
      const code = await this.opts.runCommand(command, io);
      if (closed.aborted) return;
      channel.exit(code);
      channel.end();
    } finally {
      this.running--;
    }
  }

  // A minimal login shell: prints the MOTD, echoes input when a pty was requested, runs each line.
  private runShell(channel: ServerChannel, pty: boolean): void {
    const newline = pty ? '\r\n' : '\n';
    // The channel's input is the shell's own (command lines); a command started from it reads nothing.
    const { io, closed } = this.channelIO(channel, newline, () => Promise.resolve(''));
    // sshd records a utmp login only for sessions with a terminal.
    if (pty) {
      this.terminals.add(io);
      closed.addEventListener('abort', () => this.terminals.delete(io), { once: true });
    }
    let buffer = '';
    let busy = Promise.resolve();
    const prompt = () => io.stdout(this.opts.prompt());
    io.stdout(this.opts.motd());
    prompt();
    channel.on('data', (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          if (pty) channel.write('\r\n');
          const line = buffer;
          buffer = '';
          busy = busy.then(() => this.runShellLine(channel, io, line, closed, prompt));
        } else if (ch === '\x7f') {
          if (buffer.length > 0 && pty) channel.write('\b \b');
          buffer = buffer.slice(0, -1);
        } else if (ch === '\x04' && buffer === '') {
          channel.exit(0);
          channel.end();
        } else {
          buffer += ch;
          if (pty) channel.write(ch);
        }
      }
    });
  }

  private async runShellLine(channel: ServerChannel, io: ProcessIO, line: string, closed: AbortSignal, prompt: () => void): Promise<void> {
    if (closed.aborted) return;
    if (line.trim() === 'exit' || line.trim() === 'logout') {
      channel.exit(0);
      channel.end();
      return;
    }
    if (line.trim() !== '') await this.opts.runCommand(line, io);
    if (!closed.aborted) prompt();
  }
}
