// A test peer: an SSH server built on ssh2's Server that records what arrives (connections, exec command
// lines, concurrency) and can forward direct-tcpip channels, so it also serves as a bastion.
import { connect as tcpConnect, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey, ServerChannel } from 'ssh2';

export interface ExecAnswer {
  stdout?: string;
  stderr?: string;
  code?: number;
  delayMs?: number;
  /** keep the channel open until the client closes it */
  hang?: boolean;
}

export interface TestPeerOptions {
  host?: string;
  authorizedKeys: string[];          // OpenSSH public key lines
  users?: string[];                  // default ['core']
  hostKey?: string;                  // OpenSSH private key; generated if absent
  answer?: (line: string) => ExecAnswer;
  forwarding?: boolean;              // accept direct-tcpip (bastion)
}

export interface TestPeer {
  host: string;
  port: number;
  hostKeyPublic: string;            // `ssh-ed25519 AAAA…`
  connections: number;
  execLines: string[];
  forwards: Array<{ host: string; port: number }>;
  maxConcurrentExecs: number;
  closedChannels: number;
  /** The most connections open at once, a connection counting until the client ends or drops it. */
  maxOpenConnections: number;
  openConnections(): number;
  /** false: session channel requests get no answer at all, as from a node that stopped answering on a live connection */
  answerSessions: boolean;
  dropAll(): void;
  stop(): Promise<void>;
}

/**
 * An ed25519 key pair from ssh2's generator, which about 1 time in 250 emits a private key its own parser
 * rejects ("Malformed OpenSSH private key"); such pairs are thrown away.
 */
export function generateEd25519(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}

export async function startTestPeer(opts: TestPeerOptions): Promise<TestPeer> {
  const hostKey = opts.hostKey ?? generateEd25519().private;
  const parsedHost = ssh2.utils.parseKey(hostKey) as ParsedKey;
  const keys = opts.authorizedKeys.map((k) => ssh2.utils.parseKey(k) as ParsedKey);
  const users = opts.users ?? ['core'];
  const live = new Set<Connection>();
  let running = 0;
  let open = 0;
  const peer: TestPeer = {
    host: opts.host ?? '127.0.0.1',
    port: 0,
    hostKeyPublic: `${parsedHost.type} ${parsedHost.getPublicSSH().toString('base64')}`,
    connections: 0,
    execLines: [],
    answerSessions: true,
    forwards: [],
    maxConcurrentExecs: 0,
    closedChannels: 0,
    maxOpenConnections: 0,
    openConnections: () => live.size,
    dropAll: () => {
      for (const c of live) (c as unknown as { _sock: { destroy(): void } })._sock.destroy();
    },
    stop: async () => {
      peer.dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    peer.connections++;
    live.add(client);
    const sock = (client as unknown as { _sock: Socket })._sock;
    sock.setNoDelay(true); // as sshd does
    open++;
    peer.maxOpenConnections = Math.max(peer.maxOpenConnections, open);
    let ended = false;
    const gone = () => {
      if (!ended) open--;
      ended = true;
    };
    sock.once('end', gone);
    sock.once('close', gone);
    client.on('close', () => live.delete(client));
    client.on('error', () => live.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || !users.includes(ctx.username)) return ctx.reject(['publickey']);
      const key = keys.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
      if (!key) return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('tcpip', (accept, reject, info) => {
        if (!opts.forwarding) return reject();
        peer.forwards.push({ host: info.destIP, port: info.destPort });
        const upstream = tcpConnect({ host: info.destIP, port: info.destPort });
        upstream.once('connect', () => {
          const channel = accept();
          channel.pipe(upstream).pipe(channel);
          channel.on('close', () => upstream.destroy());
          upstream.on('close', () => channel.close());
        });
        upstream.once('error', () => reject());
      });
      client.on('session', (acceptSession) => {
        if (!peer.answerSessions) return;
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          const channel = accept();
          channel.resume(); // without reading its input side, ssh2 never emits the channel's 'close'
          peer.execLines.push(info.command);
          running++;
          peer.maxConcurrentExecs = Math.max(peer.maxConcurrentExecs, running);
          channel.on('close', () => {
            running--;
            peer.closedChannels++;
          });
          void respond(channel, opts.answer?.(info.command) ?? { stdout: '' });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, peer.host, () => resolve()));
  peer.port = (server.address() as { port: number }).port;
  return peer;
}

async function respond(channel: ServerChannel, a: ExecAnswer): Promise<void> {
  if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
  if (a.stdout) channel.write(a.stdout);
  if (a.stderr) channel.stderr.write(a.stderr);
  if (a.hang) return;
  channel.exit(a.code ?? 0);
  channel.end();
}

/** A prompter that answers from a script and records what it was asked. */
export function scriptedPrompter(answers: { hostKey?: boolean; passphrases?: Array<string | null> } = {}) {
  const asked = { hostKeys: [] as Array<{ host: string; port: number; keyType: string; fingerprint: string }>, passphrases: [] as string[] };
  const passphrases = [...(answers.passphrases ?? [])];
  return {
    asked,
    prompter: {
      confirmHostKey: async (q: { host: string; port: number; keyType: string; fingerprint: string }) => {
        asked.hostKeys.push(q);
        return answers.hostKey ?? false;
      },
      askPassphrase: async (q: { keyPath: string }) => {
        asked.passphrases.push(q.keyPath);
        return passphrases.length > 0 ? passphrases.shift()! : null;
      },
    },
  };
}
