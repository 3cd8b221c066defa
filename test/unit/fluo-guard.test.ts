// flatdeck and FLUO never have two nodes out of service: while flatdeck holds the cluster lock, every node FLUO's
// operator could select next is paused (and only those), and released again afterwards. Proven against the
// simulator with FLUO running in test/integration/fluo-rollout-sim.test.ts; here the rules on in-memory Nodes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { FluoHold, HELD_BY_KEY } from '../../app/cluster/fluo-guard.ts';
import type { NodeApi } from '../../app/cluster/node-api.ts';
import { fluoBusyReason } from '../../app/cluster/node-annotations.ts';
import { SteppedClock } from '../support/virtual-clock.ts';

const P = 'flatcar-linux-update.v1.flatcar-linux.net/';

function memoryNodes(nodes: Record<string, { annotations?: Record<string, string>; labels?: Record<string, string>; unschedulable?: boolean }>): NodeApi & { annotations(name: string): Record<string, string> } {
  const store = new Map<string, V1Node>(Object.entries(nodes).map(([name, n]) => [name, { metadata: { name, annotations: { ...n.annotations }, labels: { ...n.labels } }, spec: { unschedulable: n.unschedulable } }]));
  const get = (name: string) => {
    const n = store.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  };
  return {
    getNode: async (name) => structuredClone(get(name)),
    listNodes: async () => [...store.values()].map((n) => structuredClone(n)),
    mergePatchNode: async (name, patch) => {
      const a = (get(name).metadata as { annotations: Record<string, string> }).annotations;
      for (const [k, v] of Object.entries((patch as { metadata: { annotations: Record<string, string | null> } }).metadata.annotations)) {
        if (v === null) delete a[k];
        else a[k] = v;
      }
      return structuredClone(get(name));
    },
    annotations: (name) => ({ ...get(name).metadata?.annotations }),
  };
}

describe('FLUO guard', () => {
  it('pauses exactly the nodes FLUO may select next, not ours, not paused or granted ones; puts them back at release', async () => {
    const api = memoryNodes({
      ours: { annotations: { [`${P}reboot-needed`]: 'true' } },
      wanting: { annotations: { [`${P}reboot-needed`]: 'true' } },
      selected: { annotations: { [`${P}reboot-needed`]: 'true' }, labels: { [`${P}before-reboot`]: 'true' } },
      pausedByUser: { annotations: { [`${P}reboot-needed`]: 'true', [`${P}reboot-paused`]: 'true' } },
      granted: { annotations: { [`${P}reboot-needed`]: 'true', [`${P}reboot-ok`]: 'true' } },
      idle: { annotations: { [`${P}reboot-needed`]: 'false' } },
    });
    const hold = new FluoHold({ nodes: api, holder: 'me@laptop', intervalMs: 60_000, clock: new SteppedClock(), onError: (err) => assert.fail(String(err)) });
    await hold.start('ours');
    const paused = (name: string) => api.annotations(name)[`${P}reboot-paused`] ?? null;
    assert.deepEqual(
      ['ours', 'wanting', 'selected', 'pausedByUser', 'granted', 'idle'].map((n) => [n, paused(n), api.annotations(n)[HELD_BY_KEY] ?? null]),
      [['ours', null, null], ['wanting', 'true', 'me@laptop'], ['selected', 'true', 'me@laptop'], ['pausedByUser', 'true', null], ['granted', null, null], ['idle', null, null]],
    );
    await hold.stop();
    assert.deepEqual(['wanting', 'selected', 'pausedByUser'].map(paused), [null, null, 'true'], "the user's own pause stays");
    assert.equal(api.annotations('wanting')[HELD_BY_KEY], undefined);
  });

  it('keeps pausing nodes that start wanting a reboot while held', async () => {
    const api = memoryNodes({ ours: {}, later: {} });
    const clock = new SteppedClock();
    const hold = new FluoHold({ nodes: api, holder: 'me@laptop', intervalMs: 1000, clock, onError: (err) => assert.fail(String(err)) });
    await hold.start('ours');
    await api.mergePatchNode('later', { metadata: { annotations: { [`${P}reboot-needed`]: 'true' } } });
    await clock.advance(999);
    assert.equal(api.annotations('later')[`${P}reboot-paused`], undefined, 'not before the next pass');
    await clock.advance(1);
    await new Promise((r) => setImmediate(r));
    assert.equal(api.annotations('later')[`${P}reboot-paused`], 'true');
    await hold.stop();
    assert.equal(api.annotations('later')[`${P}reboot-paused`], undefined);
  });

  it("a later holder puts back what a crashed holder left paused", async () => {
    const api = memoryNodes({ ours: {}, left: { annotations: { [`${P}reboot-needed`]: 'true', [`${P}reboot-paused`]: 'true', [HELD_BY_KEY]: 'crashed@host' } } });
    const hold = new FluoHold({ nodes: api, holder: 'me@laptop', intervalMs: 60_000, clock: new SteppedClock(), onError: (err) => assert.fail(String(err)) });
    await hold.start('ours');
    await hold.stop();
    assert.equal(api.annotations('left')[`${P}reboot-paused`], undefined);
  });

  it('FLUO keeps a node out of service from its selection until its agent uncordoned it', () => {
    const node = (annotations: Record<string, string>, labels: Record<string, string> = {}, unschedulable = false): V1Node => ({ metadata: { name: 'n', annotations, labels }, spec: { unschedulable } });
    assert.equal(fluoBusyReason(node({}, { [`${P}before-reboot`]: 'true' })), 'before-reboot');
    assert.equal(fluoBusyReason(node({ [`${P}reboot-ok`]: 'true' })), 'reboot-ok');
    assert.equal(fluoBusyReason(node({ [`${P}reboot-in-progress`]: 'true' })), 'reboot-in-progress');
    assert.equal(fluoBusyReason(node({ [`${P}reboot-ok`]: 'false' }, { [`${P}after-reboot`]: 'true' })), 'after-reboot');
    assert.equal(fluoBusyReason(node({ [`${P}agent-made-unschedulable`]: 'true' }, {}, true)), 'cordoned by its agent');
    assert.equal(fluoBusyReason(node({ [`${P}agent-made-unschedulable`]: 'false', [`${P}reboot-needed`]: 'true' }, {}, true)), null, 'cordoned by someone else, only wanting a reboot');
  });
});
