import { realClock } from '../support/clock.ts';
import { retry } from '../support/retry.ts';
import type { NodeApi } from './node-api.ts';
import { isConflict } from './kube-status.ts';
import { markKeys } from './node-annotations.ts';

/** A 409 means someone changed the node since we read it: read it again at once, six attempts in all. */
const CONFLICT_RETRY = { clock: realClock, backoff: { initialMs: 0, maxMs: 0 }, maxAttempts: 6, retryable: isConflict };

/**
 * Cordons a node and records, in the same merge patch, whether flatdeck did it: a crash can then never leave
 * a node cordoned without the note saying who must uncordon it. The patch carries the resourceVersion we
 * read, so a concurrent cordon by someone else makes ours fail with 409 and we look again.
 */
export async function cordon(api: NodeApi, node: string, annotations: Record<string, string>): Promise<{ cordonedByUs: boolean }> {
  return retry(async () => {
    const current = await api.getNode(node);
    const already = current.spec?.unschedulable === true;
    const patch = {
      metadata: {
        resourceVersion: current.metadata?.resourceVersion,
        annotations: { ...annotations, [markKeys.cordonedByUs]: String(!already) },
      },
      ...(already ? {} : { spec: { unschedulable: true } }),
    };
    await api.mergePatchNode(node, patch);
    return { cordonedByUs: !already };
  }, CONFLICT_RETRY);
}

/** Uncordons only what flatdeck cordoned; the same patch records that it is no longer ours to uncordon (unless `annotations` clears the marks). */
export async function uncordonIfOurs(api: NodeApi, node: string, cordonedByUs: boolean, annotations: Record<string, string | null> = {}): Promise<boolean> {
  const meta = { annotations: { [markKeys.cordonedByUs]: 'false', ...annotations } };
  await api.mergePatchNode(node, cordonedByUs ? { spec: { unschedulable: null }, metadata: meta } : { metadata: meta });
  return cordonedByUs;
}
