import { createInterface } from 'node:readline/promises';
import type { ApiHandler } from '../../app/api/handler.ts';
import type { Prompt, PromptAnswer } from '../../app/api/prompts.ts';
import type { CliIo } from './command.ts';

async function askTerminal(prompt: Prompt, io: CliIo): Promise<PromptAnswer> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    if (prompt.kind === 'host-key-unknown') {
      const where = prompt.port === 22 ? prompt.host : `[${prompt.host}]:${prompt.port}`;
      const reply = await rl.question(`The authenticity of host ${where} can't be established.\n${prompt.keyType} key fingerprint is ${prompt.fingerprint}.\nAccept and remember it (yes/no)? `);
      return { kind: 'host-key-unknown', accept: reply.trim().toLowerCase() === 'yes' };
    }
    const reply = await rl.question(`Passphrase for ${prompt.keyPath} (empty to skip): `);
    return { kind: 'passphrase', passphrase: reply === '' ? null : reply };
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
