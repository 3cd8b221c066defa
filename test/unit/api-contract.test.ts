import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { ApiError, Settings, UpdateOptions, WireMessage, apiMethods, parseRequest, updateOptionsFrom } from '../../app/api/index.ts';

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

  it('leaves the update options a caller does not name to the Settings, and fills in the rollout defaults', () => {
    const { params } = parseRequest('pipeline.updateNode', { cluster: 'demo', node: 'worker-1', options: { settleSeconds: 5 } });
    assert.deepEqual(params, { cluster: 'demo', node: 'worker-1', options: { settleSeconds: 5 } });
    const rollout = apiMethods['rollout.start'].params.parse({ cluster: 'demo', options: { selection: { kind: 'all-flatcar' } } });
    assert.equal(rollout.options.onDrainTimeout, undefined);
    assert.equal(rollout.options.emptyDirPolicy, undefined);
    assert.equal(rollout.options.stopOnFailure, true);
    assert.equal(rollout.options.maxParallelDownloads, 3);
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

  it('default every run option the way a run without Settings does', () => {
    assert.deepEqual(updateOptionsFrom(Settings.parse({})), UpdateOptions.parse({}));
  });

  it('reach every run: the operator’s drain policy and reboot timeout, with what the caller set on top', () => {
    const settings = Settings.parse({ drain: { timeoutSeconds: 120, onTimeout: 'skip', emptyDirPolicy: 'delete' }, timeouts: { rebootSeconds: 300 }, restoreUpdateEngine: 'leave-enabled' });
    const options = updateOptionsFrom(settings, { drainTimeoutSeconds: 30, settleSeconds: undefined });
    assert.deepEqual(
      [options.drainTimeoutSeconds, options.onDrainTimeout, options.emptyDirPolicy, options.unmanagedPodPolicy, options.rebootTimeoutSeconds, options.restoreUpdateEngine, options.settleSeconds],
      [30, 'skip', 'delete', 'refuse', 300, 'leave-enabled', 30],
    );
  });

  it('hold the update Lease where deploy/rbac.yaml grants it by default', () => {
    const rbac = readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8');
    const role = /kind: Role\nmetadata:\n {2}name: flatdeck-lock\n {2}namespace: (\S+)/.exec(rbac);
    assert.ok(role, 'deploy/rbac.yaml has the Role flatdeck-lock');
    assert.deepEqual(Settings.parse({}).lock, { namespace: role[1], name: 'flatdeck-update-lock' });
    assert.equal(role[1], 'flatdeck-system');
  });
});
