// Evidence on the real control plane for the Kubernetes-Job health gate: the real kube-controller-manager's
// Job controller creates the pod, the real scheduler places it on a kwok node, and kwok's default stages run
// it to Succeeded; a Job whose pod can never be scheduled must fail the gate by timeout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { HealthGate } from '../../app/api/pipeline.ts';
import { runJobGate } from '../../app/pipeline/job-gate.ts';
import { realClock } from '../../app/pipeline/ports.ts';
import { realClusterSkip, startRealCluster, type RealCluster } from '../support/real-cluster.ts';

const skip = realClusterSkip();
const namespace = 'default';
const gatedNode = 'flatcar-node-1';

/** A Job template whose one pod goes to the kwok bulk nodes (they carry the kwok.x-k8s.io/node taint). */
function jobTemplate(nodeSelector: Record<string, string>) {
  return {
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          nodeSelector,
          tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [{ name: 'check', image: 'registry.example/health-check:1', command: ['/bin/check'] }],
        },
      },
    },
  };
}

describe('real control plane: the Kubernetes-Job health gate', { skip }, () => {
  let cluster: RealCluster;
  let kc: KubeConfig;

  before(async () => {
    cluster = await startRealCluster({ kwokNodes: 1 });
    kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('passes, naming the Job, once the Job controller reports the pod succeeded', async () => {
    const gate = HealthGate.parse({ kind: 'job', namespace, template: jobTemplate({ type: 'kwok' }), timeoutSeconds: 120 });
    if (gate.kind !== 'job') throw new Error('expected a job gate');
    const started = performance.now();
    const result = await runJobGate(kc, gate, gatedNode, realClock, new AbortController().signal);
    const seconds = (performance.now() - started) / 1000;
    const jobs = (await kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace, labelSelector: `flatdeck.io/health-gate-node=${gatedNode}` })).items;
    const job = jobs.find((j) => result.message.includes(`${namespace}/${j.metadata?.name}`));
    assert.equal(result.ok, true, result.message);
    assert.ok(job, `the message names one of the created Jobs: ${result.message} (jobs: ${jobs.map((j) => j.metadata?.name).join(', ')})`);
    assert.match(job.metadata?.name ?? '', /^flatdeck-health-/);
    assert.ok((job.status?.succeeded ?? 0) >= 1, `the real Job controller counted a succeeded pod: ${JSON.stringify(job.status)}`);
    const env = job.spec?.template.spec?.containers[0]?.env ?? [];
    assert.deepEqual(env.find((e) => e.name === 'FLATDECK_NODE')?.value, gatedNode);
    const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: `job-name=${job.metadata?.name}` })).items;
    assert.deepEqual(pods.map((p) => [p.spec?.nodeName, p.status?.phase]), [['kwok-node-000000', 'Succeeded']]);
    console.log(`job gate passed in ${seconds.toFixed(1)} s (cluster up in ${cluster.upSeconds.toFixed(1)} s)`);
  });

  it('fails with the timeout message when the Job can never be scheduled', async () => {
    const timeoutSeconds = 3;
    const gate = HealthGate.parse({ kind: 'job', namespace, template: jobTemplate({ type: 'no-such-node' }), timeoutSeconds });
    if (gate.kind !== 'job') throw new Error('expected a job gate');
    const started = performance.now();
    const result = await runJobGate(kc, gate, gatedNode, realClock, new AbortController().signal);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(result.ok, false);
    assert.match(result.message, new RegExp(`^Job ${namespace}/flatdeck-health-\\S+ did not finish within ${timeoutSeconds} s$`));
    assert.ok(seconds >= timeoutSeconds, `waited the whole timeout (${seconds.toFixed(1)} s)`);
    const name = /Job \S+\/(\S+) /.exec(result.message)?.[1] ?? '';
    const job = await kc.makeApiClient(BatchV1Api).readNamespacedJob({ name, namespace });
    assert.equal(job.status?.succeeded ?? 0, 0);
    console.log(`unschedulable job gate timed out after ${seconds.toFixed(1)} s`);
  });
});
