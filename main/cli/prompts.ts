import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { ApiHandler } from '../../app/api/handler.ts';
import type { Prompt, PromptAnswer } from '../../app/api/prompts.ts';
import type { CliIo } from './command.ts';

type HostKeyPrompt = Extract<Prompt, { kind: 'host-key-unknown' }>;

/** The first-contact question, with OpenSSH's warning when the host is known under another key type. */
export function hostKeyQuestion(prompt: HostKeyPrompt): string {
  const where = prompt.port === 22 ? prompt.host : `[${prompt.host}]:${prompt.port}`;
  const others = prompt.otherKnownKeys ?? [];
  const lines = [`The authenticity of host ${where} can't be established.`];
  if (others.length > 0) {
    lines.push('WARNING: keys of another type are already known for this host; it now presents a key of a type not on record:');
    for (const k of others) lines.push(`  known: ${k.keyType} key ${k.fingerprint} (${k.file}:${k.line})`);
  }
  lines.push(`${prompt.keyType} key fingerprint is ${prompt.fingerprint}.`, 'Accept and remember it (yes/no)? ');
  return lines.join('\n');
}

/** Reads one line without echoing it (a passphrase): the terminal is in raw mode and readline's echo goes nowhere. */
async function askHidden(io: CliIo, question: string): Promise<string> {
  io.stderr.write(question);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: io.stdin, output: silent, terminal: true });
  try {
    return await rl.question('');
  } finally {
    rl.close();
    io.stderr.write('\n');
  }
}

async function askTerminal(prompt: Prompt, io: CliIo): Promise<PromptAnswer> {
  if (prompt.kind === 'passphrase') {
    const reply = await askHidden(io, `Passphrase for ${prompt.keyPath} (empty to skip): `);
    return { kind: 'passphrase', passphrase: reply === '' ? null : reply };
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const reply = await rl.question(hostKeyQuestion(prompt));
    return { kind: 'host-key-unknown', accept: reply.trim().toLowerCase() === 'yes' };
  } finally {
    rl.close();
  }
}

/**
 * Answers the core's questions on the terminal, one at a time; without a terminal they are declined with a hint
 * (the command then fails for that node instead of waiting forever).
 */
export function answerPromptsOnTerminal(service: ApiHandler, io: CliIo): () => void {
  let queue = Promise.resolve();
  return service.subscribe((event) => {
    if (event.topic !== 'prompt') return;
    const prompt = event.payload;
    queue = queue.then(async () => {
      let answer: PromptAnswer;
      if (io.stdin.isTTY) {
        answer = await askTerminal(prompt, io);
      } else {
        io.stderr.write(
          prompt.kind === 'host-key-unknown'
            ? `flatdeck: unknown host key for ${prompt.host}:${prompt.port} (${prompt.fingerprint}); not accepted without a terminal. Add it to known_hosts first.\n`
            : `flatdeck: ${prompt.keyPath} needs a passphrase; skipped without a terminal (load it into ssh-agent instead).\n`,
        );
        answer = prompt.kind === 'host-key-unknown' ? { kind: 'host-key-unknown', accept: false } : { kind: 'passphrase', passphrase: null };
      }
      await service.call('prompt.answer', { id: prompt.id, answer }).catch(() => undefined);
    });
  });
}
