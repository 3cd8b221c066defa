import { readFile } from 'node:fs/promises';
import type { Protocol } from 'electron';
import { contentTypeFor, resolveStaticPath } from '../host/static-path.ts';
import { appScheme, electronContentSecurityPolicy, isAppUrl } from './window-security.ts';

const securityHeaders = { 'Content-Security-Policy': electronContentSecurityPolicy, 'X-Content-Type-Options': 'nosniff' };

function notFound(): Response {
  return new Response('Not found.', { status: 404, headers: { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8' } });
}

/**
 * Answers an `app://flatdeck/…` request from the renderer build; anything outside it (other hosts,
 * `..`, missing files) is a 404. The CSP travels on every response.
 */
export async function serveAppRequest(rendererDir: string, requestUrl: string): Promise<Response> {
  if (!isAppUrl(requestUrl)) return notFound();
  const file = resolveStaticPath(rendererDir, new URL(requestUrl).pathname);
  const content = file ? await readFile(file).catch(() => null) : null;
  if (!file || content === null) return notFound();
  return new Response(new Uint8Array(content), {
    headers: { ...securityHeaders, 'Content-Type': contentTypeFor(file) },
  });
}

export function registerAppProtocol(protocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  protocol.handle(appScheme, (request) => serveAppRequest(rendererDir, request.url));
}
