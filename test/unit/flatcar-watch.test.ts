import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WatchStreamParser, type WatchEvent } from '../../app/flatcar/update-engine-watch.ts';

// update_engine_client.cc lines 80–85: one glog message per StatusUpdate signal; progress printed by the C++
// stream (0 prints as `0`). First with the current 4-digit-year prefix, then the older one.
const STREAM = [
  'I20251016 23:21:35.021710 2584180 update_engine_client.cc:265] Watching for status updates.',
  'I20251016 23:21:40.000001 2584180 update_engine_client.cc:80] Got status update:',
  '  last_checked_time: 1760656900',
  '  progress: 0',
  '  current_operation: UPDATE_STATUS_CHECKING_FOR_UPDATE',
  '  new_version: 0.0.0',
  '  new_size: 0',
  'I1016 23:21:45.123456  2224 update_engine_client.cc:80] Got status update:',
  '  last_checked_time: 1760656900',
  '  progress: 0.160216',
  '  current_operation: UPDATE_STATUS_DOWNLOADING',
  '  new_version: 4459.2.0',
  '  new_size: 458234665',
  '',
].join('\n');

function statuses(events: WatchEvent[]) {
  return events.flatMap((e) => (e.type === 'status' ? [e.status] : []));
}

function feed(parser: WatchStreamParser, chunks: string[]): WatchEvent[] {
  return [...chunks.flatMap((c) => parser.push(c)), ...parser.end()];
}

describe('update_engine_client -watch_for_updates stream', () => {
  it('emits one status per update, with old and new glog prefixes', () => {
    const events = feed(new WatchStreamParser(), [STREAM]);
    assert.deepEqual(events[0], { type: 'log', level: 'info', message: 'Watching for status updates.' });
    assert.deepEqual(statuses(events), [
      { lastCheckedTime: 1760656900, progress: 0, currentOp: 'UPDATE_STATUS_CHECKING_FOR_UPDATE', newVersion: '0.0.0', newSize: 0 },
      { lastCheckedTime: 1760656900, progress: 0.160216, currentOp: 'UPDATE_STATUS_DOWNLOADING', newVersion: '4459.2.0', newSize: 458234665 },
    ]);
    assert.equal(events.length, 3);
  });

  it('gives the same events however the stream is split into chunks', () => {
    const whole = feed(new WatchStreamParser(), [STREAM]);
    fc.assert(fc.property(fc.array(fc.nat(STREAM.length), { maxLength: 30 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const chunks = [0, ...points].map((p, i) => STREAM.slice(p, points[i] ?? STREAM.length));
      assert.deepEqual(feed(new WatchStreamParser(), chunks), whole);
    }), { numRuns: 500 });
  });

  it('also accepts field lines that carry their own glog prefix', () => {
    const prefixed = STREAM.split('\n').map((l) => (l.startsWith('  ') ? `I20251016 23:21:40.000002 2584180 update_engine_client.cc:81] ${l}` : l)).join('\n');
    assert.deepEqual(feed(new WatchStreamParser(), [prefixed]), feed(new WatchStreamParser(), [STREAM]));
  });

  it('reports the D-Bus give-up as a typed error event', () => {
    const events = feed(new WatchStreamParser(), [
      "W1016 23:21:35.021710  2224 update_engine_client.cc:60] Error getting dbus proxy for com.coreos.update1: GError(3): Could not get owner of name 'com.coreos.update1': no such name\n",
      'I1016 23:21:45.021710  2224 update_engine_client.cc:51] Retrying to get dbus proxy. Try 2/4\n',
      'E1016 23:22:05.021710  2224 update_engine_client.cc:65] Giving up -- unable to get dbus proxy for com.coreos.update1\n',
    ]);
    assert.deepEqual(events.map((e) => e.type), ['log', 'log', 'gave-up']);
    const last = events.at(-1)!;
    assert.equal(last.type === 'gave-up' && last.error.kind, 'dbus-unavailable');
  });

  it('reports a truncated or garbled block and resynchronises on the next one', () => {
    const lines = STREAM.split('\n');
    const garbled = [lines[1], lines[2], lines[3], ...lines.slice(7)].join('\n');
    const events = feed(new WatchStreamParser(), [garbled]);
    assert.deepEqual(events.map((e) => e.type), ['malformed', 'status']);
    const bad = feed(new WatchStreamParser(), [STREAM.replace('progress: 0.160216', 'progress: lots')]);
    assert.deepEqual(bad.map((e) => e.type), ['log', 'status', 'malformed']);
    const cut = feed(new WatchStreamParser(), [lines.slice(0, 4).join('\n')]);
    assert.deepEqual(cut.map((e) => e.type), ['log', 'malformed']);
  });

  it('never throws, whatever it is fed', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom(...STREAM.split(/(?<=\n)/))), { maxLength: 40 }), (chunks) => {
      const parser = new WatchStreamParser();
      for (const c of chunks) parser.push(c);
      parser.end();
    }), { numRuns: 1000 });
  });

  it('bounds memory on a stream without newlines', () => {
    const parser = new WatchStreamParser();
    const events = parser.push('x'.repeat(70 * 1024));
    assert.deepEqual(events.map((e) => e.type), ['malformed']);
  });
});
