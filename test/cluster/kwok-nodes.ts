// Creates N bulk nodes for kwok to manage (annotation kwok.x-k8s.io/node=fake), tainted so that workloads stay
// on the simulated Flatcar nodes. They report what a Flatcar fleet's kubelets report (osImage is os-release's
// PRETTY_NAME), spread over three zones, so the node table shows a real fleet. Called by test/cluster/up;
// kwokctl's own `scale node` is client-side rate-limited to ~5 creations per second, which makes thousands of
// nodes take many minutes.
// usage: node --import tsx test/cluster/kwok-nodes.ts --kubeconfig PATH --count N [--concurrency C]
import { parseArgs } from 'node:util';
import { prettyNameOf } from '../../sim/fleet/os-release.ts';
import { kernelVersionOf } from '../../sim/fleet/versions.ts';
import { KubeRestClient } from '../../sim/kubelet/rest-client.ts';

// Releases a fleet mid-rollout runs side by side, named and with kernels as the simulated nodes report them.
const VERSIONS = ['4459.2.1', '4593.2.0', '4757.2.3'] as const;
const ZONES = ['zone-a', 'zone-b', 'zone-c'] as const;

export function kwokNode(index: number) {
  const name = `kwok-node-${String(index).padStart(6, '0')}`;
  const version = VERSIONS[index % VERSIONS.length] as string;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': ZONES[index % ZONES.length] as string, type: 'kwok' },
    },
    spec: { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'fake', osImage: prettyNameOf(version), kernelVersion: kernelVersionOf(version) },
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
