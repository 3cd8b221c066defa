// Fault switching: flags and control requests parse into validated specs; a node-targeted fault applies
// to that node only (by name or address), a fault without node to all; removal switches it off.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultRegistry, isApiFault, parseFaultFlag } from '../../sim/faults.ts';

const worker1 = { name: 'worker-1', address: '127.10.0.1' };
const worker2 = { name: 'worker-2', address: '127.10.0.2' };

describe('faults', () => {
  it('parses start flags with node and options, applying defaults', () => {
    assert.deepEqual(parseFaultFlag('ssh-slow:worker-2,delayMs=500'), { kind: 'ssh-slow', node: 'worker-2', delayMs: 500 });
    assert.deepEqual(parseFaultFlag('update-error'), { kind: 'update-error', phase: 'download' });
    assert.deepEqual(parseFaultFlag('update-error:127.10.0.1,phase=finalize'), { kind: 'update-error', node: '127.10.0.1', phase: 'finalize' });
    assert.deepEqual(parseFaultFlag('api-5xx-burst,count=3'), { kind: 'api-5xx-burst', count: 3, status: 503 });
    assert.throws(() => parseFaultFlag('meteor-strike'));
    assert.throws(() => parseFaultFlag('ssh-slow,delayMs=-5'));
    assert.throws(() => parseFaultFlag('api-unavailable:worker-1'), 'API faults take no node');
  });

  it('targets one node by name or address, or every node', () => {
    const faults = new FaultRegistry();
    const byName = faults.add({ kind: 'ssh-auth-rejected', node: 'worker-1' });
    assert.ok(faults.forNode('ssh-auth-rejected', worker1));
    assert.equal(faults.forNode('ssh-auth-rejected', worker2), undefined);
    faults.add({ kind: 'rollback', node: '127.10.0.2' });
    assert.ok(faults.forNode('rollback', worker2));
    assert.equal(faults.forNode('rollback', worker1), undefined);
    faults.add({ kind: 'sudo-password' });
    assert.ok(faults.forNode('sudo-password', worker1) && faults.forNode('sudo-password', worker2));
    faults.remove(byName.id);
    assert.equal(faults.forNode('ssh-auth-rejected', worker1), undefined);
    assert.equal(faults.clear().length, 2);
    assert.deepEqual(faults.list(), []);
  });

  it('notifies on every switch and tells API faults apart', () => {
    const faults = new FaultRegistry();
    const seen: string[] = [];
    faults.onChange((c) => seen.push('added' in c ? `+${c.added.spec.kind}` : `-${c.removed.spec.kind}`));
    const api = faults.add({ kind: 'api-unavailable', durationMs: 500 });
    faults.add({ kind: 'download-stall' });
    faults.clear();
    assert.deepEqual(seen, ['+api-unavailable', '+download-stall', '-api-unavailable', '-download-stall']);
    assert.equal(isApiFault(api.spec), true);
    assert.equal(faults.forNode('download-stall', worker1), undefined);
  });
});
