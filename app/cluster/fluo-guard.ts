import type { V1Node } from '@kubernetes/client-node';
import { fluoKeys } from './node-annotations.ts';
import { flatdeckKeys } from './node-keys.ts';
import type { NodeApi } from './node-api.ts';

/**
 * Keeps FLUO's operator from starting a reboot while flatdeck has a node out of service.
 *
 * FLUO's operator counts only its own reboots (pkg/operator/operator.go remainingRebootingCapacity), so it would
 * grant `reboot-ok` to another node in the middle of a flatdeck drain. Its grant takes two reconciliations (30 s
 * apart): first the `before-reboot` label, then `reboot-ok`; a node paused in between loses the label again
 * (cleanupState) and is never granted. So while flatdeck holds the cluster lock, every node FLUO could pick
 * (its rebootableSelector) is paused, re-checked far more often than FLUO reconciles, and put back at release.
 * A node flatdeck paused this way carries HELD_BY_KEY; only the lock holder can hold, so whoever holds the lock
 * next also puts back what a crashed holder left paused.
 */
export const HELD_BY_KEY = flatdeckKeys.fluoHeldBy;

const isTrue = (v: string | undefined) => v === 'true';

/** FLUO's rebootableSelector: the nodes its operator may select next. */
export function fluoMaySelect(node: V1Node): boolean {
  const a = node.metadata?.annotations ?? {};
  return isTrue(a[fluoKeys.rebootNeeded]) && !isTrue(a[fluoKeys.rebootPaused]) && !isTrue(a[fluoKeys.rebootOk]) && !isTrue(a[fluoKeys.rebootInProgress]);
}

export interface FluoHoldDeps {
  nodes: NodeApi;
  /** who holds (the lock holder identity) */
  holder: string;
  /** how often FLUO's candidates are re-checked while held (FLUO reconciles every 30 s) */
  intervalMs: number;
  clock: { sleep(ms: number, signal?: AbortSignal): Promise<void> };
  /** a failed pass; the next pass tries again */
  onError(err: unknown): void;
}

export class FluoHold {
  private loop: { stop: AbortController; done: Promise<void> } | null = null;

  constructor(private readonly deps: FluoHoldDeps) {}

  /**
   * Pauses FLUO's candidates now (except `self`, which the run pauses itself; a set when K node turns of one run
   * share the hold, read at every pass), then keeps doing so.
   */
  async start(self: string | ReadonlySet<string>): Promise<void> {
    await this.stopLoop();
    await this.pass(self);
    const stop = new AbortController();
    const done = (async () => {
      for (;;) {
        try {
          await this.deps.clock.sleep(this.deps.intervalMs, stop.signal);
        } catch {
          return;
        }
        if (stop.signal.aborted) return;
        await this.pass(self).catch((err: unknown) => this.deps.onError(err));
      }
    })();
    this.loop = { stop, done };
  }

  /** Stops holding and unpauses every node a holder paused. */
  async stop(): Promise<void> {
    await this.stopLoop();
    for (const node of await this.deps.nodes.listNodes()) {
      const name = node.metadata?.name;
      if (!name || node.metadata?.annotations?.[HELD_BY_KEY] === undefined) continue;
      await this.deps.nodes.mergePatchNode(name, { metadata: { annotations: { [fluoKeys.rebootPaused]: null, [HELD_BY_KEY]: null } } });
    }
  }

  private async stopLoop(): Promise<void> {
    this.loop?.stop.abort();
    await this.loop?.done;
    this.loop = null;
  }

  private async pass(self: string | ReadonlySet<string>): Promise<void> {
    for (const node of await this.deps.nodes.listNodes()) {
      const name = node.metadata?.name;
      if (!name || (typeof self === 'string' ? name === self : self.has(name)) || !fluoMaySelect(node)) continue;
      await this.deps.nodes.mergePatchNode(name, { metadata: { annotations: { [fluoKeys.rebootPaused]: 'true', [HELD_BY_KEY]: this.deps.holder } } });
    }
  }
}
