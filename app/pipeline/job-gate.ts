import { BatchV1Api, type KubeConfig, type V1Job } from '@kubernetes/client-node';
import type { HealthGate } from '../api/pipeline.ts';
import { flatdeckKeys } from '../cluster/node-keys.ts';
import type { Clock } from './ports.ts';
import { pollUntil } from '../support/retry.ts';

/**
 * A health gate as a Kubernetes Job from the operator's template: created with a generated name and the
 * node in an env var and label, it must reach Complete before the timeout; Failed or timing out fails the gate.
 */
export async function runJobGate(kc: KubeConfig, gate: Extract<HealthGate, { kind: 'job' }>, node: string, clock: Clock, signal: AbortSignal): Promise<{ ok: boolean; message: string }> {
  const batch = kc.makeApiClient(BatchV1Api);
  const template = structuredClone(gate.template) as V1Job;
  template.apiVersion = 'batch/v1';
  template.kind = 'Job';
  template.metadata = { ...(template.metadata ?? {}), generateName: 'flatdeck-health-', namespace: gate.namespace, labels: { ...(template.metadata?.labels ?? {}), [flatdeckKeys.healthGateNode]: node } };
  delete template.metadata.name;
  for (const c of template.spec?.template.spec?.containers ?? []) c.env = [...(c.env ?? []), { name: 'FLATDECK_NODE', value: node }];
  const job = await batch.createNamespacedJob({ namespace: gate.namespace, body: template });
  const name = job.metadata?.name ?? '';
  const outcome = await pollUntil(
    async () => {
      const cur = await batch.readNamespacedJob({ name, namespace: gate.namespace });
      const cond = (t: string) => cur.status?.conditions?.some((c) => c.type === t && c.status === 'True');
      if (cond('Complete') || (cur.status?.succeeded ?? 0) > 0) return { ok: true, message: `Job ${gate.namespace}/${name} succeeded` };
      if (cond('Failed')) return { ok: false, message: `Job ${gate.namespace}/${name} failed` };
      return undefined;
    },
    { clock, intervalMs: 1000, deadlineMs: clock.nowMs() + gate.timeoutSeconds * 1000, signal },
  );
  return outcome.timedOut ? { ok: false, message: `Job ${gate.namespace}/${name} did not finish within ${gate.timeoutSeconds} s` } : outcome.value;
}
