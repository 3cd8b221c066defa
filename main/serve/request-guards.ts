import type { IncomingHttpHeaders } from 'node:http';
import { tokenMatches } from './token.ts';

export type Verdict = { ok: true } | { ok: false; status: 400 | 401 | 403; reason: string };

const allowed: Verdict = { ok: true };

export const tokenHeader = 'x-flatdeck-token';
export const protocolName = 'flatdeck.v1';
export const tokenProtocolPrefix = 'flatdeck.token.';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

/**
 * Host must name this server on loopback (defeats DNS rebinding); Origin, when a browser sends one, must be
 * this server's own origin (defeats cross-site pages). Applies to every request, static files included.
 */
export function checkHostAndOrigin(headers: IncomingHttpHeaders, port: number): Verdict {
  const ownHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const host = single(headers.host);
  if (host === undefined || !ownHosts.includes(host.toLowerCase())) {
    return { ok: false, status: 403, reason: 'Host header does not name this server.' };
  }
  if (headers.origin === undefined) return allowed;
  const origin = single(headers.origin);
  if (origin === undefined || !ownHosts.some((h) => origin.toLowerCase() === `http://${h}`)) {
    return { ok: false, status: 403, reason: 'Origin is not this server.' };
  }
  return allowed;
}

/** The subprotocols a WebSocket handshake offers, in order. */
export function offeredProtocols(headers: IncomingHttpHeaders): string[] {
  const raw = headers['sec-websocket-protocol'];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw.join(',') : raw)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/**
 * The launch token must be presented (401 otherwise) and every copy presented must match (403 otherwise):
 * as header `X-Flatdeck-Token`, or as WebSocket subprotocol `flatdeck.token.<hex>`.
 */
export function checkToken(headers: IncomingHttpHeaders, token: string): Verdict {
  const presented: string[] = [];
  const header = headers[tokenHeader];
  if (header !== undefined) presented.push(...(Array.isArray(header) ? header : [header]));
  for (const p of offeredProtocols(headers)) {
    if (p.startsWith(tokenProtocolPrefix)) presented.push(p.slice(tokenProtocolPrefix.length));
  }
  if (presented.length === 0) return { ok: false, status: 401, reason: 'This request needs the launch token.' };
  if (!presented.every((candidate) => tokenMatches(token, candidate))) {
    return { ok: false, status: 403, reason: 'The token does not match this launch.' };
  }
  return allowed;
}
