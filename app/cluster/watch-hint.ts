import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

/**
 * Calls `onChange` with the object of every change a watch of `path` narrowed by `fieldSelector` sees, until `signal` is
 * cancelled. A hint that makes a poll look sooner (app/support/retry.ts `Nudge`), never the answer: a watch
 * that cannot start or ends early is no error, the poll goes on at its own pace.
 */
export async function watchHint(kc: KubeConfig, path: string, fieldSelector: string, onChange: (object: KubernetesObject) => void, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const request = await new Watch(kc).watch(path, { fieldSelector }, (_type: string, object: KubernetesObject) => onChange(object), () => undefined).catch(() => null);
  if (!request) return;
  if (signal.aborted) request.abort();
  else signal.addEventListener('abort', () => request.abort(), { once: true });
}
