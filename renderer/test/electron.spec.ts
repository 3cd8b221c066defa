import { describe, expect, it } from 'vitest';
import { ElectronClient } from '../src/lib/transport/electron.ts';
import type { FlatdeckBridge } from '../src/lib/transport/electron.ts';
import { node } from './fixtures.ts';

function bridge(answer: (method: string, params: unknown) => unknown) {
  const listeners = new Set<(e: unknown) => void>();
  const b: FlatdeckBridge = {
    call: async (method, params) => answer(method, params),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { b, emit: (e: unknown) => listeners.forEach((l) => l(e)), listeners };
}

describe('ElectronClient', () => {
  it('unwraps the preload envelope and validates results against the contract', async () => {
    const { b } = bridge((method) => (method === 'nodes.list' ? { error: null, result: [node('a')] } : { error: null, result: 'nonsense' }));
    const client = new ElectronClient(b);
    expect((await client.call('nodes.list', { cluster: 'demo' }))[0]?.name).toBe('a');
    await expect(client.call('clusters.list', {})).rejects.toMatchObject({ kind: 'internal' });
  });

  it('rethrows API errors with their kind and refuses answers without an envelope', async () => {
    const { b } = bridge((method) =>
      method === 'clusters.connect' ? { error: { kind: 'unauthorized', message: 'token expired', facts: {} }, result: null } : [node('a')],
    );
    const client = new ElectronClient(b);
    await expect(client.call('clusters.connect', { cluster: 'x' })).rejects.toMatchObject({ kind: 'unauthorized', message: 'token expired' });
    await expect(client.call('nodes.list', { cluster: 'x' })).rejects.toMatchObject({ kind: 'internal' });
  });

  it('passes on valid events only, and unsubscribes', () => {
    const { b, emit, listeners } = bridge(() => null);
    const client = new ElectronClient(b);
    const topics: string[] = [];
    const off = client.subscribe((e) => topics.push(e.topic));
    emit({ topic: 'nodes', payload: { type: 'delete', cluster: 'demo', name: 'a' } });
    emit({ topic: 'nodes', payload: { type: 'delete' } });
    emit('garbage');
    expect(topics).toEqual(['nodes']);
    off();
    expect(listeners.size).toBe(0);
  });
});
