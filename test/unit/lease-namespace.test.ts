// The update Lease in a namespace that does not exist (deploy/rbac.yaml not applied): the operator is told what to do.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from '../../app/api/errors.ts';
import { kubeLeaseStore, LeaseLock } from '../../app/cluster/lease-lock.ts';
import { isTransient } from '../../app/pipeline/kube-cluster.ts';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube-api/server.ts';

describe('the update Lease without its namespace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flatdeck-lease-ns-'));
  let server: KubeApiServer;
  let kc: KubeConfig;
  before(async () => {
    server = await startKubeApiServer({ stateDir: dir, port: 0, timeScale: 0.02 });
    kc = new KubeConfig();
    kc.loadFromString(server.adminKubeconfig());
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the missing namespace and deploy/rbac.yaml instead of a bare 404', async () => {
    const lock = new LeaseLock({ store: kubeLeaseStore(kc, 'flatdeck-elsewhere', 'flatdeck-update-lock'), namespace: 'flatdeck-elsewhere', name: 'flatdeck-update-lock', identity: 'jane@laptop', leaseDurationSeconds: 15 });
    const failure = await lock.tryAcquireOrRenew().then(() => null, (e: unknown) => e);
    assert.ok(failure instanceof ApiError && failure.kind === 'not-found', String(failure));
    assert.match(failure.message, /namespace flatdeck-elsewhere .* does not exist: apply deploy\/rbac\.yaml/);
    assert.equal(isTransient(failure, 'create'), false, 'the pipeline does not retry it for a minute');
  });

  it('takes the Lease where deploy/rbac.yaml puts it', async () => {
    const lock = new LeaseLock({ store: kubeLeaseStore(kc, 'flatdeck-system', 'flatdeck-update-lock'), namespace: 'flatdeck-system', name: 'flatdeck-update-lock', identity: 'jane@laptop', leaseDurationSeconds: 15 });
    assert.equal(await lock.tryAcquireOrRenew(), true);
  });
});
