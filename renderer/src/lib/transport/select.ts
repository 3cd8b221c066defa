import type { ApiClient } from './client.ts';
import { ElectronClient } from './electron.ts';
import type { FlatdeckBridge } from './electron.ts';
import { WebSocketClient } from './websocket.ts';

declare global {
  interface Window {
    flatdeck?: FlatdeckBridge;
  }
}

const storageKey = 'flatdeck.token';

/** Reads the per-launch token from `#token=<64 hex>` (the fragment never reaches a server or its logs). */
export function tokenFromHash(hash: string): string | null {
  const match = /(?:^#|&)token=([0-9a-f]{64})(?:&|$)/.exec(hash);
  return match?.[1] ?? null;
}

/**
 * Picks the transport at startup: the preload bridge in Electron, otherwise the browser-mode WebSocket.
 * The token moves from the address bar into sessionStorage, so it is not left on screen but a reload still works.
 */
export function createClient(win: Window): ApiClient | null {
  if (win.flatdeck) return new ElectronClient(win.flatdeck);
  const fromHash = tokenFromHash(win.location.hash);
  if (fromHash) {
    win.sessionStorage.setItem(storageKey, fromHash);
    win.history.replaceState(null, '', win.location.pathname + win.location.search);
  }
  const token = fromHash ?? win.sessionStorage.getItem(storageKey);
  if (!token) return null;
  const scheme = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WebSocketClient({ url: `${scheme}//${win.location.host}/ws`, token });
}
