// The simulated kubelet keeps reconciling through an API outage, as a real one does: a pod whose graceful
// deletion falls due while the API server refuses connections is still removed once the server is back, so a
// drain that started before the outage finishes after it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube-api/server.ts';
import { startKubeletRole, type KubeletRole } from '../../sim/kubelet/index.ts';
import { KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { ScriptedNode } from '../support/scripted-node.ts';
import { waitFor } from '../support/wait-for.ts';

const block = loopbackBlock();
const TIME_SCALE = 0.05;

describe('simulated kubelet after an API outage', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sim-kubelet-recovery-'));
  const node = new ScriptedNode('flatcar-rec-1', block.host(2), '4459.2.1');
  let server: KubeApiServer;
  let role: KubeletRole;
  let api: KubeRestClient;

  before(async () => {
    server = await startKubeApiServer({ host: block.host(1), port: 0, stateDir, timeScale: TIME_SCALE });
    const kubeconfigPath = join(stateDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, server.adminKubeconfig(), { mode: 0o600 });
    api = await KubeRestClient.fromKubeconfigFile(kubeconfigPath);
    role = await startKubeletRole({ kubeconfigPath, nodes: [node], timeScale: TIME_SCALE, workload: false, log: () => {} });
  });
  after(async () => {
    await role?.stop();
    await server?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('finishes a graceful deletion that fell due during the outage', async () => {
    const path = '/api/v1/namespaces/default/pods/evictee';
    await api.call('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'evictee' },
      spec: { nodeName: node.name, terminationGracePeriodSeconds: 4, containers: [{ name: 'c', image: 'busybox:1.36' }] },
    });
    await waitFor('the pod running', async () => (await api.get<{ status?: { phase?: string } }>(path)).status?.phase === 'Running');
    // Grace 4 s at time scale 0.05 = 200 ms: the kubelet's final DELETE falls inside the 1.5 s outage.
    const deleted = await api.raw('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 4 });
    assert.equal(deleted.status, 200);
    await server.faults.unavailable(1_500);
    await waitFor('the pod removed after the outage', async () => (await api.raw('GET', path)).status === 404, { timeoutMs: 15_000 });
  });
});
