// Creates N bulk nodes for kwok to manage (annotation kwok.x-k8s.io/node=fake), tainted so that workloads stay
// on the simulated Flatcar nodes. Called by test/cluster/up; kwokctl's own `scale node` is client-side
// rate-limited to ~5 creations per second, which makes thousands of nodes take many minutes.
// usage: node --import tsx test/cluster/kwok-nodes.ts --kubeconfig PATH --count N [--concurrency C]
import { parseArgs } from 'node:util';
import { KubeRestClient } from '../../sim/kubelet/rest-client.ts';

export function kwokNode(index: number) {
  const name = `kwok-node-${String(index).padStart(6, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' },
    },
    spec: { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'fake', osImage: 'kwok' },
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, count: { type: 'string' }, concurrency: { type: 'string', default: '32' } } });
  const count = Number(values.count);
  const concurrency = Number(values.concurrency);
  if (!values.kubeconfig || !Number.isInteger(count) || count < 0 || !Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error('usage: kwok-nodes.ts --kubeconfig PATH --count N [--concurrency C]');
  }
  const client = await KubeRestClient.fromKubeconfigFile(values.kubeconfig);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await client.raw('POST', '/api/v1/nodes', kwokNode(i));
      if (res.status !== 201 && res.status !== 409) throw new Error(`creating kwok node ${i}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

await main();
