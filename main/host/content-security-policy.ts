/**
 * The one Content-Security-Policy of the renderer, for both hosts. Only `connect-src` differs:
 * Electron needs no network at all, browser mode needs its own WebSocket.
 */
export function contentSecurityPolicy(connectSrc: readonly string[]): string {
  const directives: Array<[string, string[]]> = [
    ['default-src', ["'none'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:']],
    ['font-src', ["'self'"]],
    ['connect-src', connectSrc.length ? [...connectSrc] : ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['object-src', ["'none'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}
