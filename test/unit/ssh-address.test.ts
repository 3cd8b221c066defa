import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isValidHost, resolveSshTarget, validateTemplate } from '../../app/ssh/address.ts';

const node = {
  name: 'worker-1',
  addresses: [
    { type: 'InternalIP', address: '10.0.0.5' },
    { type: 'ExternalIP', address: '203.0.113.7' },
    { type: 'Hostname', address: 'worker-1.internal' },
  ],
};

describe('SSH address resolution', () => {
  it('uses InternalIP by default, or ExternalIP, hostname or a template', () => {
    const host = (s: Parameters<typeof resolveSshTarget>[1]) => {
      const r = resolveSshTarget(node, s);
      return r.ok ? r.target.host : r.message;
    };
    assert.equal(host({ kind: 'InternalIP' }), '10.0.0.5');
    assert.equal(host({ kind: 'ExternalIP' }), '203.0.113.7');
    assert.equal(host({ kind: 'Hostname' }), 'worker-1.internal');
    assert.equal(host({ kind: 'template', template: '{name}.nodes.example.org' }), 'worker-1.nodes.example.org');
    assert.equal(host({ kind: 'template', template: 'ssh-{address}.example' }), 'ssh-10.0.0.5.example');
    const bare = resolveSshTarget({ name: 'n', addresses: [] }, { kind: 'InternalIP' });
    assert.equal(!bare.ok && bare.message, 'Node n has no InternalIP address');
  });

  it('a per-node override wins and is validated', () => {
    const r = resolveSshTarget(node, { kind: 'InternalIP' }, { host: 'bastion-side.example', port: 2222, user: 'admin' });
    assert.deepEqual(r, { ok: true, target: { nodeName: 'worker-1', host: 'bastion-side.example', port: 2222, user: 'admin' } });
    assert.equal(resolveSshTarget(node, { kind: 'InternalIP' }, { port: 70000 }).ok, false);
    assert.equal(resolveSshTarget(node, { kind: 'InternalIP' }, { user: 'core; reboot' }).ok, false);
    assert.equal(resolveSshTarget(node, { kind: 'InternalIP' }, { host: '$(reboot)' }).ok, false);
  });

  it('templates allow only {name} and {address} and must yield a host name', () => {
    assert.equal(validateTemplate('{name}.example.org'), undefined);
    assert.match(validateTemplate('{user}.example.org') ?? '', /unknown placeholder/);
    assert.match(validateTemplate('{name}.exa mple') ?? '', /does not produce a host name/);
    assert.match(validateTemplate('{name') ?? '', /unbalanced|host name/);
    const evil = resolveSshTarget({ name: 'a;reboot', addresses: [] }, { kind: 'template', template: '{name}.example.org' });
    assert.equal(evil.ok, false);
  });

  it('no node name or address with shell syntax ever becomes a target host', () => {
    const hostile = fc.string({ unit: fc.constantFrom(...'ab1.-;$()`\'"\\\n |&<>*'.split('')) });
    fc.assert(fc.property(hostile, hostile, (name, address) => {
      const r = resolveSshTarget({ name, addresses: [{ type: 'InternalIP', address }] }, { kind: 'template', template: '{name}.{address}.example' });
      if (r.ok) assert.match(r.target.host, /^[A-Za-z0-9.-]+$/);
      if (isValidHost(address)) assert.match(address, /^[A-Za-z0-9.-]+$/);
    }), { numRuns: 2000 });
  });
});
