import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, WireMessage, apiMethods, parseRequest } from '../../app/api/index.ts';

describe('the API contract', () => {
  it('rejects an unknown method with an invalid-request error naming it', () => {
    assert.throws(() => parseRequest('nodes.format', {}), (e: unknown) => e instanceof ApiError && e.kind === 'invalid-request' && /nodes\.format/.test(e.message));
  });

  it('rejects parameters of the wrong shape and names the offending field', () => {
    assert.throws(
      () => parseRequest('pipeline.updateNode', { cluster: 'demo', node: '' }),
      (e: unknown) => e instanceof ApiError && e.kind === 'invalid-request' && /node/.test(e.message),
    );
  });

  it('fills in the documented defaults of an update', () => {
    const { params } = parseRequest('pipeline.updateNode', { cluster: 'demo', node: 'worker-1' });
    assert.deepEqual(params, { cluster: 'demo', node: 'worker-1', options: {} });
    const rollout = apiMethods['rollout.start'].params.parse({ cluster: 'demo', options: { selection: { kind: 'all-flatcar' } } });
    assert.equal(rollout.options.onDrainTimeout, 'stop');
    assert.equal(rollout.options.stopOnFailure, true);
    assert.equal(rollout.options.emptyDirPolicy, 'refuse');
  });

  it('refuses a reboot window with an impossible start time', () => {
    assert.throws(() =>
      parseRequest('rollout.start', {
        cluster: 'demo',
        options: { selection: { kind: 'all-flatcar' }, rebootWindow: { days: ['Mon'], start: '25:00', lengthMinutes: 60, timeZone: 'UTC' } },
      }),
    );
  });

  it('accepts a well-formed wire event and rejects a malformed one', () => {
    const ok = WireMessage.safeParse({
      type: 'event',
      event: { topic: 'nodes', payload: { type: 'delete', cluster: 'demo', name: 'worker-1' } },
    });
    assert.equal(ok.success, true);
    const bad = WireMessage.safeParse({ type: 'event', event: { topic: 'nodes', payload: { type: 'delete', cluster: 'demo' } } });
    assert.equal(bad.success, false);
  });
});

describe('settings changes', () => {
  it('leave out what they do not name instead of resetting it to the default', () => {
    const { params } = parseRequest('settings.set', { language: 'de' });
    assert.deepEqual(params, { language: 'de' });
  });

  it('still validate what they name', () => {
    assert.throws(() => parseRequest('settings.set', { language: 'fr' }), (e: unknown) => e instanceof ApiError && /language/.test(e.message));
  });
});
