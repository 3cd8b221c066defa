import type { WebSocket } from 'ws';
import { WireRequest } from '../../app/api/index.ts';
import type { ApiEvent, ApiHandler, WireMessage } from '../../app/api/index.ts';
import { dispatchRequest } from '../host/envelope.ts';

/** A client that lets this much pile up unread is cut off instead of growing the server's memory. */
const maxBufferedBytes = 8 * 1024 * 1024;

/** Reads the `id` of a frame that failed validation, so the answer can still reach the right caller. */
function recoverId(value: unknown): number | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

/** Bridges one authenticated WebSocket to the core: requests in, responses and every event out. */
export function attachApiSession(socket: WebSocket, handler: ApiHandler): void {
  const send = (message: WireMessage): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > maxBufferedBytes) {
      socket.close(1008, 'client does not read its messages');
      return;
    }
    socket.send(JSON.stringify(message));
  };
  const unsubscribe = handler.subscribe((event: ApiEvent) => send({ type: 'event', event }));
  socket.on('close', unsubscribe);
  // A frame over maxPayload or text that is not UTF-8: ws has already closed this socket with 1009/1007. Heard
  // here, the error ends this session only; unheard, it would end the process and every other session with it.
  socket.on('error', () => socket.terminate());

  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      socket.close(1003, 'text frames only');
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(data.toString());
    } catch {
      socket.close(1008, 'frame is not JSON');
      return;
    }
    const request = WireRequest.safeParse(value);
    if (!request.success) {
      const id = recoverId(value);
      if (id === null) {
        socket.close(1008, 'frame is not a request');
        return;
      }
      const message = `Not a request: ${request.error.issues.map((i) => `${i.path.join('.') || '(frame)'}: ${i.message}`).join('; ')}`;
      send({ type: 'response', id, error: { kind: 'invalid-request', message, facts: {} }, result: null });
      return;
    }
    const { id, method, params } = request.data;
    void dispatchRequest(handler, method, params).then((envelope) => send({ type: 'response', id, ...envelope }));
  });
}
