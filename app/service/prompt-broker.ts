import { randomUUID } from 'node:crypto';
import { ApiError } from '../api/errors.ts';
import type { Prompt, PromptAnswer } from '../api/prompts.ts';
import type { SshPrompter } from '../ssh/types.ts';

type Question = Prompt extends infer P ? (P extends Prompt ? Omit<P, 'id'> : never) : never;
type AnswerFor<K extends Prompt['kind']> = Extract<PromptAnswer, { kind: K }>;

interface Pending {
  prompt: Prompt;
  resolve(answer: PromptAnswer): void;
}

/**
 * Questions for the operator: each is pushed as a `prompt` event and waits for `prompt.answer`. Unanswered
 * questions are declined when the service closes, so nothing waits forever.
 */
export class PromptBroker {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(p: Prompt) => void>();

  onPrompt(listener: (p: Prompt) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ask<K extends Prompt['kind']>(question: Extract<Question, { kind: K }>): Promise<AnswerFor<K>> {
    const prompt = { ...question, id: randomUUID() } as Prompt;
    return new Promise((resolve) => {
      this.pending.set(prompt.id, { prompt, resolve: resolve as (a: PromptAnswer) => void });
      for (const l of this.listeners) l(prompt);
    });
  }

  list(): Prompt[] {
    return Array.from(this.pending.values(), (p) => p.prompt);
  }

  answer(id: string, answer: PromptAnswer): void {
    const p = this.pending.get(id);
    if (!p) throw new ApiError('not-found', `No open question with id ${id} (already answered or withdrawn).`, { id });
    if (p.prompt.kind !== answer.kind) {
      throw new ApiError('invalid-request', `Question ${id} is a ${p.prompt.kind} question, not ${answer.kind}.`, { id });
    }
    this.pending.delete(id);
    p.resolve(answer);
  }

  declineAll(): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.resolve(p.prompt.kind === 'host-key-unknown' ? { kind: 'host-key-unknown', accept: false } : { kind: 'passphrase', passphrase: null });
    }
  }

  /** The SSH layer's questions, answered through the API. */
  sshPrompter(): SshPrompter {
    return {
      confirmHostKey: async (q) => (await this.ask<'host-key-unknown'>({ kind: 'host-key-unknown', ...q })).accept,
      askPassphrase: async (q) => (await this.ask<'passphrase'>({ kind: 'passphrase', keyPath: q.keyPath })).passphrase,
    };
  }
}
