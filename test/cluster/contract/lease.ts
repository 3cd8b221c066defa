// The coordination.k8s.io/v1 Lease that serializes updates: create, renew, steal, 409 on a stale write, and
// MicroTime timestamps (six fractional digits; a plain JavaScript Date string is rejected).
import assert from 'node:assert/strict';
import { CoordinationV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { inNamespace, type ContractCase, type StatusBody } from './helpers.ts';

interface Lease {
  metadata: { name: string; resourceVersion: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

const micro = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

function lease(ns: string, holder: string, now: Date) {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'flatdeck-update-lock', namespace: ns },
    spec: { holderIdentity: holder, leaseDurationSeconds: 60, acquireTime: micro(now), renewTime: micro(now), leaseTransitions: 0 },
  };
}

const base = (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;

export const leaseCases: ContractCase[] = [
  {
    name: 'lease: create, renew with the read resourceVersion, and a stale renew is a 409 Conflict',
    async run(t) {
      await inNamespace(t, 'ct-lease', async (ns) => {
        const created = await t.admin.call<Lease>('POST', base(ns), lease(ns, 'alice@laptop', new Date()));
        assert.match(created.spec.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        const again = await t.admin.raw<StatusBody>('POST', base(ns), lease(ns, 'bob@desk', new Date()));
        assert.equal(again.status, 409);
        assert.equal(again.body.reason, 'AlreadyExists');
        assert.equal(again.body.message, 'leases.coordination.k8s.io "flatdeck-update-lock" already exists');

        const renewTime = micro(new Date(Date.now() + 1500));
        const renewed = await t.admin.call<Lease>('PUT', `${base(ns)}/flatdeck-update-lock`, { ...created, spec: { ...created.spec, renewTime } });
        assert.equal(renewed.spec.renewTime, renewTime);
        assert.notEqual(renewed.metadata.resourceVersion, created.metadata.resourceVersion);

        const stale = await t.admin.raw<StatusBody>('PUT', `${base(ns)}/flatdeck-update-lock`, { ...created, spec: { ...created.spec, holderIdentity: 'bob@desk' } });
        assert.equal(stale.status, 409);
        assert.equal(stale.body.reason, 'Conflict');
        assert.equal(
          stale.body.message,
          'Operation cannot be fulfilled on leases.coordination.k8s.io "flatdeck-update-lock": the object has been modified; please apply your changes to the latest version and try again',
        );
        assert.deepEqual(stale.body.details, { name: 'flatdeck-update-lock', group: 'coordination.k8s.io', kind: 'leases' });
      });
    },
  },
  {
    name: 'lease: another holder steals an expired lease with the current resourceVersion',
    async run(t) {
      await inNamespace(t, 'ct-steal', async (ns) => {
        const old = new Date(Date.now() - 120_000);
        const created = await t.admin.call<Lease>('POST', base(ns), lease(ns, 'alice@laptop', old));
        const now = new Date();
        const stolen = await t.admin.call<Lease>('PUT', `${base(ns)}/flatdeck-update-lock`, {
          ...created,
          spec: { ...created.spec, holderIdentity: 'bob@desk', acquireTime: micro(now), renewTime: micro(now), leaseTransitions: 1 },
        });
        assert.equal(stolen.spec.holderIdentity, 'bob@desk');
        assert.equal(stolen.spec.leaseTransitions, 1);
        const late = await t.admin.raw<StatusBody>('PUT', `${base(ns)}/flatdeck-update-lock`, { ...created, spec: { ...created.spec, renewTime: micro(new Date()) } });
        assert.equal(late.status, 409, 'the previous holder cannot renew over the steal');
      });
    },
  },
  {
    name: 'lease: a renewTime with three fractional digits (a plain Date) is rejected with 400 BadRequest',
    async run(t) {
      await inNamespace(t, 'ct-microtime', async (ns) => {
        const body = lease(ns, 'alice@laptop', new Date());
        const res = await t.admin.raw<StatusBody>('POST', base(ns), { ...body, spec: { ...body.spec, renewTime: new Date().toISOString() } });
        assert.equal(res.status, 400);
        assert.equal(res.body.reason, 'BadRequest');
        assert.match(res.body.message, /cannot be handled as a Lease/);
        assert.match(res.body.message, /2006-01-02T15:04:05\.000000Z07:00/);
      });
    },
  },
  {
    name: 'lease: @kubernetes/client-node with V1MicroTime creates and reads the lease',
    async run(t) {
      await inNamespace(t, 'ct-clientnode', async (ns) => {
        const kc = new KubeConfig();
        kc.loadFromFile(t.kubeconfigPath);
        const api = kc.makeApiClient(CoordinationV1Api);
        const now = new V1MicroTime();
        await api.createNamespacedLease({
          namespace: ns,
          body: { metadata: { name: 'flatdeck-update-lock' }, spec: { holderIdentity: 'carol@ci', leaseDurationSeconds: 30, acquireTime: now, renewTime: now } },
        });
        const read = await api.readNamespacedLease({ name: 'flatdeck-update-lock', namespace: ns });
        assert.equal(read.spec?.holderIdentity, 'carol@ci');
        // client-node 1.4 hands MicroTime back as the wire string; either way it is the instant we wrote.
        const renewTime: unknown = read.spec?.renewTime;
        assert.equal(renewTime instanceof Date ? renewTime.getTime() : Date.parse(String(renewTime)), now.getTime());
      });
    },
  },
];
