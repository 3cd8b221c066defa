// Cordon and uncordon through every patch content type flatdeck or kubectl may send, and the errors of bad ones.
import assert from 'node:assert/strict';
import { ContentType } from '../../../sim/kubelet/rest-client.ts';
import type { ContractCase, StatusBody } from './helpers.ts';
import type { ContractTarget } from './target.ts';

interface Node {
  metadata: { resourceVersion: string; annotations?: Record<string, string> };
  spec: { unschedulable?: boolean; taints?: Array<{ key: string; effect: string }> };
}

const nodePath = (t: ContractTarget) => `/api/v1/nodes/${t.nodes[t.nodes.length - 1]?.name}`;

async function patchUnschedulable(t: ContractTarget, contentType: string, body: unknown, expected: boolean): Promise<void> {
  const patched = await t.admin.call<Node>('PATCH', nodePath(t), body, contentType);
  assert.equal(patched.spec.unschedulable === true, expected, `${contentType} sets unschedulable=${expected}`);
  const read = await t.admin.get<Node>(nodePath(t));
  assert.equal(read.spec.unschedulable === true, expected);
}

export const cordonCases: ContractCase[] = [
  {
    name: 'cordon: merge patch, strategic merge patch and JSON patch each set and clear spec.unschedulable',
    async run(t) {
      await patchUnschedulable(t, ContentType.merge, { spec: { unschedulable: true } }, true);
      await patchUnschedulable(t, ContentType.merge, { spec: { unschedulable: null } }, false);
      await patchUnschedulable(t, ContentType.strategic, { spec: { unschedulable: true } }, true);
      await patchUnschedulable(t, ContentType.strategic, { spec: { unschedulable: null } }, false);
      await patchUnschedulable(t, ContentType.jsonPatch, [{ op: 'add', path: '/spec/unschedulable', value: true }], true);
      await patchUnschedulable(t, ContentType.jsonPatch, [{ op: 'remove', path: '/spec/unschedulable' }], false);
    },
  },
  {
    name: 'cordon: a JSON patch test op on a stale value fails with 422 Invalid and changes nothing',
    async run(t) {
      const before = await t.admin.get<Node>(nodePath(t));
      const res = await t.admin.raw<StatusBody>(
        'PATCH',
        nodePath(t),
        [
          { op: 'test', path: '/metadata/resourceVersion', value: '1' },
          { op: 'add', path: '/spec/unschedulable', value: true },
        ],
        ContentType.jsonPatch,
      );
      assert.equal(res.status, 422);
      assert.equal(res.body.reason, 'Invalid');
      assert.equal(res.body.code, 422);
      const after = await t.admin.get<Node>(nodePath(t));
      assert.equal(after.spec.unschedulable, before.spec.unschedulable);
    },
  },
  {
    name: 'cordon: a merge patch carrying a stale resourceVersion is a 409 Conflict',
    async run(t) {
      const node = await t.admin.get<Node>(nodePath(t));
      await t.admin.call('PATCH', nodePath(t), { metadata: { annotations: { 'contract.flatdeck.dev/bump': String(Date.now()) } } }, ContentType.merge);
      const res = await t.admin.raw<StatusBody>(
        'PATCH',
        nodePath(t),
        { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { unschedulable: true } },
        ContentType.merge,
      );
      assert.equal(res.status, 409);
      assert.equal(res.body.reason, 'Conflict');
      assert.match(res.body.message, /the object has been modified; please apply your changes to the latest version and try again/);
    },
  },
  {
    name: 'cordon: an unsupported patch content type is a 415 UnsupportedMediaType',
    async run(t) {
      const res = await t.admin.raw<StatusBody>('PATCH', nodePath(t), { spec: { unschedulable: true } }, 'application/x-www-form-urlencoded');
      assert.equal(res.status, 415);
      assert.equal(res.body.reason, 'UnsupportedMediaType');
    },
  },
];
