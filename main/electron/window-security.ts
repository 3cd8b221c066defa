import type { Session, WebContents } from 'electron';
import { contentSecurityPolicy } from '../host/content-security-policy.ts';

/** The renderer is served from this privileged custom scheme (see app-protocol.ts). */
export const appScheme = 'app';
export const appOrigin = 'app://flatdeck';
export const appEntryUrl = `${appOrigin}/index.html`;

/**
 * Whether a URL is a page of the app itself. Compared by scheme and host: WHATWG URL gives custom schemes
 * an opaque ("null") origin outside the browser, so origins cannot be compared in the main process.
 */
export function isAppUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${appScheme}:` && url.host === 'flatdeck' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** The renderer needs no network at all in Electron: everything goes through the preload bridge. */
export const electronContentSecurityPolicy = contentSecurityPolicy([]);

/** Links that may leave the app, opened in the user's browser. Anything else is dropped. */
const externalHosts = new Set(['www.flatcar.org', 'flatcar.org', 'github.com', 'kubernetes.io']);

export function isAllowedExternalUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && url.port === '' && externalHosts.has(url.hostname);
}

type ContentsEvents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * No navigation away from the app, no new windows, no webviews. An allowlisted https link the user
 * clicks (target=_blank or window.open) goes to the system browser instead.
 */
export function hardenWebContents(contents: ContentsEvents, openExternal: (url: string) => void): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) openExternal(url);
    return { action: 'deny' };
  });
}

type SessionHooks = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'webRequest'>;

/** Only the app's own pages may show desktop notifications (a run ended, a node needs attention). */
export function allowsPermission(permission: string, url: string | undefined): boolean {
  return permission === 'notifications' && url !== undefined && isAppUrl(url);
}

/** Every other permission (camera, clipboard, …) and every other origin is refused; every response carries the CSP. */
export function hardenSession(session: SessionHooks): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => callback(allowsPermission(permission, details?.requestingUrl)));
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => allowsPermission(permission, requestingOrigin));
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [electronContentSecurityPolicy],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });
}
