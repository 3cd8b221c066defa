// api-5xx-burst stands for trouble flatdeck has to ride out: the cluster's own components (kubelet, FLUO's agent
// and operator, known by the user agent client-go gives them) neither see the burst nor use it up.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isClusterComponent } from '../../sim/kube-api/faults.ts';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube-api/server.ts';
import { KUBELET_USER_AGENT, KubeRestClient } from '../../sim/kubelet/rest-client.ts';
import { loopbackBlock } from '../support/loopback.ts';

describe('api-5xx-burst counts only the traffic of clients outside the cluster', () => {
  let server: KubeApiServer;
  let dir: string;
  let flatdeck: KubeRestClient;
  let kubelet: KubeRestClient;
  let fluoAgent: KubeRestClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-api-faults-'));
    server = await startKubeApiServer({ stateDir: dir, host: loopbackBlock().host(1), port: 0, timeScale: 0.05 });
    const kubeconfig = join(dir, 'admin');
    writeFileSync(kubeconfig, server.adminKubeconfig(), { mode: 0o600 });
    flatdeck = await KubeRestClient.fromKubeconfigFile(kubeconfig, 'flatdeck/0.1.0');
    kubelet = await KubeRestClient.fromKubeconfigFile(kubeconfig, KUBELET_USER_AGENT);
    fluoAgent = await KubeRestClient.fromKubeconfigFile(kubeconfig, 'update-agent/v0.10.0-rc2 (linux/amd64) kubernetes/6da2b5f');
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('knows the components by their user agent prefix', () => {
    assert.equal(isClusterComponent('kubelet/v1.31.0 (linux/amd64) kubernetes/abc'), true);
    assert.equal(isClusterComponent('update-operator/v0.10.0-rc2'), true);
    assert.equal(isClusterComponent('flatdeck/0.1.0'), false);
    assert.equal(isClusterComponent(undefined), false);
  });

  it('the kubelet and FLUO pass through a burst; flatdeck gets every one of its 503s', async () => {
    server.faults.serverErrors(2);
    const codes: number[] = [];
    for (const client of [kubelet, fluoAgent, kubelet, flatdeck, kubelet, flatdeck, flatdeck]) {
      codes.push((await client.raw('GET', '/api/v1/namespaces/default')).status);
    }
    assert.deepEqual(codes, [200, 200, 200, 503, 200, 503, 200]);
  });
});
