import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../app/api/index.ts';
import { WebSocketClient } from '../src/lib/transport/websocket.ts';
import { tokenFromHash } from '../src/lib/transport/select.ts';
import { node } from './fixtures.ts';

class FakeSocket extends EventTarget {
  static instances: FakeSocket[] = [];
  readyState: number = WebSocket.CONNECTING;
  sent: string[] = [];
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    super();
    FakeSocket.instances.push(this);
  }
  send(text: string): void {
    this.sent.push(text);
  }
  close(): void {
    this.readyState = WebSocket.CLOSED;
  }
  open(): void {
    this.readyState = WebSocket.OPEN;
    this.dispatchEvent(new Event('open'));
  }
  receive(data: unknown): void {
    this.dispatchEvent(new MessageEvent('message', { data: typeof data === 'string' ? data : JSON.stringify(data) }));
  }
  drop(code = 1006): void {
    this.readyState = WebSocket.CLOSED;
    this.dispatchEvent(new CloseEvent('close', { code, reason: '' }));
  }
}

const token = 'ab'.repeat(32);
function connect() {
  FakeSocket.instances = [];
  const client = new WebSocketClient({
    url: 'ws://127.0.0.1:1234/ws',
    token,
    backoffMs: [100, 200],
    createSocket: (url, protocols) => new FakeSocket(url, protocols) as unknown as WebSocket,
  });
  return { client, socket: () => FakeSocket.instances.at(-1)! };
}

afterEach(() => vi.useRealTimers());

describe('WebSocketClient', () => {
  it('offers flatdeck.v1 and the token subprotocol, queues requests until open', async () => {
    const { client, socket } = connect();
    expect(socket().protocols).toEqual(['flatdeck.v1', `flatdeck.token.${token}`]);
    const answer = client.call('nodes.list', { cluster: 'demo' });
    expect(socket().sent).toEqual([]);
    socket().open();
    const request = JSON.parse(socket().sent[0]!);
    expect(request).toEqual({ type: 'request', id: 1, method: 'nodes.list', params: { cluster: 'demo' } });
    socket().receive({ type: 'response', id: 1, error: null, result: [node('a')] });
    expect((await answer).map((n) => n.name)).toEqual(['a']);
  });

  it('turns error responses into ApiError with kind and facts, and rejects results that break the contract', async () => {
    const { client, socket } = connect();
    socket().open();
    const failing = client.call('clusters.connect', { cluster: 'x' });
    socket().receive({ type: 'response', id: 1, error: { kind: 'tls-error', message: 'bad cert', facts: { host: 'h' } }, result: null });
    await expect(failing).rejects.toMatchObject({ kind: 'tls-error', message: 'bad cert', facts: { host: 'h' } });
    const malformed = client.call('nodes.list', { cluster: 'demo' });
    socket().receive({ type: 'response', id: 2, error: null, result: [{ name: 'a' }] });
    await expect(malformed).rejects.toBeInstanceOf(ApiError);
  });

  it('delivers valid events and drops ones that do not match the contract', () => {
    const { client, socket } = connect();
    socket().open();
    const got: string[] = [];
    client.subscribe((e) => got.push(e.topic));
    socket().receive({ type: 'event', event: { topic: 'nodes', payload: { type: 'delete', cluster: 'demo', name: 'a' } } });
    socket().receive({ type: 'event', event: { topic: 'nodes', payload: { type: 'explode' } } });
    socket().receive('not json');
    expect(got).toEqual(['nodes']);
  });

  it('fails pending calls when the socket drops and reconnects with backoff', async () => {
    vi.useFakeTimers();
    const { client, socket } = connect();
    const states: string[] = [];
    client.onStatus((s) => states.push(s.state));
    socket().open();
    const pending = client.call('nodes.list', { cluster: 'demo' });
    socket().drop();
    await expect(pending).rejects.toMatchObject({ kind: 'cluster-unreachable' });
    expect(FakeSocket.instances.length).toBe(1);
    vi.advanceTimersByTime(100);
    expect(FakeSocket.instances.length).toBe(2);
    socket().open();
    expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'open']);
    client.close();
  });

  it('says when it last heard from the core and when it tries again, waits longer each time, and can retry at once', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-04T12:41:47Z'));
    const { client, socket } = connect();
    const closed: Array<{ lastContact?: number | null; retryAt?: number | null }> = [];
    client.onStatus((s) => s.state === 'closed' && closed.push(s));
    socket().open();
    vi.advanceTimersByTime(5000);
    socket().receive({ type: 'event', event: { topic: 'nodes', payload: { type: 'delete', cluster: 'demo', name: 'a' } } });
    const heard = Date.now();
    vi.advanceTimersByTime(3000);
    socket().drop();
    expect(closed.at(-1)).toMatchObject({ lastContact: heard, retryAt: Date.now() + 100 });
    vi.advanceTimersByTime(100);
    socket().drop();
    expect(closed.at(-1)).toMatchObject({ lastContact: heard, retryAt: Date.now() + 200 });
    // "Reconnect now" does not wait for the 200 ms.
    client.reconnect();
    expect(FakeSocket.instances.length).toBe(3);
    socket().open();
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.instances.length).toBe(3);
    client.close();
  });

  it('reads only a 64-hex token from the fragment', () => {
    expect(tokenFromHash(`#token=${token}`)).toBe(token);
    expect(tokenFromHash('#token=abc')).toBeNull();
    expect(tokenFromHash(`#x=1&token=${token}`)).toBe(token);
  });
});
