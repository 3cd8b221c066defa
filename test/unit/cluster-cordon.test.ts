import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { cordon } from '../../app/cluster/cordon.ts';
import type { NodeApi } from '../../app/cluster/node-api.ts';

/** A node whose patches are refused with 409 Conflict `conflicts` times (someone else changed it meanwhile). */
function nodeApi(conflicts: number, failure: { code: number } = { code: 409 }) {
  let version = 1;
  let unschedulable = false;
  const patches: Array<{ resourceVersion: unknown }> = [];
  const api: NodeApi = {
    getNode: async () => ({ metadata: { name: 'w1', resourceVersion: String(version) }, spec: { unschedulable } }) as V1Node,
    listNodes: async () => [],
    mergePatchNode: async (_name, patch) => {
      const p = patch as { metadata: { resourceVersion: unknown }; spec?: { unschedulable: boolean } };
      patches.push({ resourceVersion: p.metadata.resourceVersion });
      if (patches.length <= conflicts) {
        version++;
        throw Object.assign(new Error('the object has been modified'), failure);
      }
      unschedulable = p.spec?.unschedulable ?? unschedulable;
      return {} as V1Node;
    },
  };
  return { api, patches, cordoned: () => unschedulable };
}

describe('cordon', () => {
  it('reads the node again after a 409 and patches with the new resourceVersion', async () => {
    const n = nodeApi(2);
    assert.deepEqual(await cordon(n.api, 'w1', {}), { cordonedByUs: true });
    assert.deepEqual(n.patches.map((p) => p.resourceVersion), ['1', '2', '3']);
    assert.equal(n.cordoned(), true);
  });

  it('gives up with the conflict after six attempts', async () => {
    const n = nodeApi(100);
    await assert.rejects(cordon(n.api, 'w1', {}), /the object has been modified/);
    assert.equal(n.patches.length, 6);
  });

  it('does not retry anything but a conflict', async () => {
    const n = nodeApi(1, { code: 403 });
    await assert.rejects(cordon(n.api, 'w1', {}));
    assert.equal(n.patches.length, 1);
  });
});
