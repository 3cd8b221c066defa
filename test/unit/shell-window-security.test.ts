import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serveAppRequest } from '../../main/electron/app-protocol.ts';
import {
  appEntryUrl,
  electronContentSecurityPolicy,
  hardenSession,
  hardenWebContents,
  isAllowedExternalUrl,
  isAppUrl,
} from '../../main/electron/window-security.ts';

type Handler = (...args: unknown[]) => void;

/** Captures what hardenWebContents registers on a webContents. */
function fakeContents() {
  const listeners = new Map<string, Handler>();
  let openHandler: ((details: { url: string }) => { action: string }) | null = null;
  const contents = {
    on(name: string, listener: Handler) {
      listeners.set(name, listener);
      return contents;
    },
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      openHandler = handler;
    },
  };
  const fire = (name: string, url?: string): boolean => {
    let prevented = false;
    const listener = listeners.get(name);
    assert.ok(listener, `no ${name} listener`);
    listener({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  return { contents, fire, open: (url: string) => openHandler?.({ url }) };
}

describe('Electron window security', () => {
  it('has a CSP without inline script, eval or network access', () => {
    assert.match(electronContentSecurityPolicy, /default-src 'none'/);
    assert.match(electronContentSecurityPolicy, /script-src 'self';/);
    assert.match(electronContentSecurityPolicy, /connect-src 'none'/);
    assert.doesNotMatch(electronContentSecurityPolicy, /unsafe|\*/);
  });

  it('blocks navigation and redirects away from the app, and webviews', () => {
    const { contents, fire } = fakeContents();
    hardenWebContents(contents as never, () => assert.fail('nothing may open externally here'));
    assert.equal(fire('will-navigate', 'https://attacker.example/'), true);
    assert.equal(fire('will-navigate', 'file:///etc/passwd'), true);
    assert.equal(fire('will-redirect', 'http://127.0.0.1:8080/'), true);
    assert.equal(fire('will-navigate', appEntryUrl), false);
    assert.equal(fire('will-attach-webview'), true);
  });

  it('denies every new window; only allowlisted https links go to the system browser', () => {
    const opened: string[] = [];
    const { contents, open } = fakeContents();
    hardenWebContents(contents as never, (url) => opened.push(url));
    for (const url of [
      'https://www.flatcar.org/releases#release-4230.2.3',
      'http://www.flatcar.org/releases',
      'https://attacker.example/',
      'https://www.flatcar.org.attacker.example/',
      'https://user@github.com/',
      'https://github.com:8443/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      appEntryUrl,
    ]) {
      assert.deepEqual(open(url), { action: 'deny' }, url);
    }
    assert.deepEqual(opened, ['https://www.flatcar.org/releases#release-4230.2.3']);
    assert.equal(isAllowedExternalUrl('not a url'), false);
  });

  it('recognises app URLs by scheme and host only', () => {
    assert.equal(isAppUrl('app://flatdeck/index.html'), true);
    assert.equal(isAppUrl('app://other/index.html'), false);
    assert.equal(isAppUrl('https://flatdeck/index.html'), false);
  });

  it('grants notifications to the app itself only, refuses every other permission, and adds the CSP to every response', () => {
    let requestHandler: ((c: unknown, p: string, cb: (ok: boolean) => void, d?: { requestingUrl?: string }) => void) | null = null;
    let checkHandler: ((c: unknown, p: string, origin: string) => boolean) | null = null;
    let headersHook: ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | null = null;
    hardenSession({
      setPermissionRequestHandler: (h: typeof requestHandler) => (requestHandler = h),
      setPermissionCheckHandler: (h: typeof checkHandler) => (checkHandler = h),
      webRequest: { onHeadersReceived: (h: typeof headersHook) => (headersHook = h) },
    } as never);
    const ask = (permission: string, requestingUrl?: string): boolean | null => {
      let answer: boolean | null = null;
      requestHandler!(null, permission, (ok) => (answer = ok), requestingUrl === undefined ? {} : { requestingUrl });
      return answer;
    };
    for (const permission of ['media', 'clipboard-read', 'openExternal', 'geolocation']) assert.equal(ask(permission, 'app://flatdeck/index.html'), false, permission);
    assert.equal(ask('notifications', 'app://flatdeck/index.html'), true);
    assert.equal(ask('notifications', 'https://www.flatcar.org/releases'), false);
    assert.equal(ask('notifications'), false);
    assert.equal(checkHandler!(null, 'notifications', 'app://flatdeck'), true);
    assert.equal(checkHandler!(null, 'notifications', 'https://example.com'), false);
    assert.equal(checkHandler!(null, 'media', 'app://flatdeck'), false);
    let result: Record<string, string[]> = {};
    headersHook!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => (result = r.responseHeaders));
    assert.deepEqual(result['Content-Security-Policy'], [electronContentSecurityPolicy]);
    assert.deepEqual(result['Content-Type'], ['text/html']);
  });
});

describe('the app:// protocol', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'flatdeck-app-protocol-'));
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>flatdeck</title>');
    writeFileSync(join(dir, 'dist', 'assets', 'index.js'), 'export {}');
    writeFileSync(join(dir, 'secret.txt'), 'secret');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the renderer build with the CSP and a content type', async () => {
    const res = await serveAppRequest(join(dir, 'dist'), 'app://flatdeck/index.html');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), electronContentSecurityPolicy);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await res.text(), /<title>flatdeck/);
    const js = await serveAppRequest(join(dir, 'dist'), 'app://flatdeck/assets/index.js');
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
  });

  it('answers 404 (with the CSP) outside the build, for other hosts and for missing files', async () => {
    for (const url of ['app://flatdeck/../secret.txt', 'app://flatdeck/%2e%2e/secret.txt', 'app://flatdeck/..%2fsecret.txt', 'app://other/index.html', 'app://flatdeck/missing.js', 'app://flatdeck/assets']) {
      const res = await serveAppRequest(join(dir, 'dist'), url);
      assert.equal(res.status, 404, url);
      assert.equal(res.headers.get('content-security-policy'), electronContentSecurityPolicy);
      assert.doesNotMatch(await res.text(), /secret/);
    }
  });
});
