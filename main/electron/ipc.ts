import { ApiError, toErrorInfo } from '../../app/api/index.ts';
import type { ApiHandler } from '../../app/api/index.ts';
import { dispatchRequest } from '../host/envelope.ts';
import type { Envelope } from '../host/envelope.ts';
import { callChannel } from './channels.ts';

// The shapes of Electron's IpcMainInvokeEvent and ipcMain that this module reads, so it runs (and is
// tested) under plain Node; Electron's real objects satisfy them structurally.
export interface SenderFrame {
  readonly url: string;
  readonly parent: unknown;
}
export interface InvokeEvent {
  readonly sender: { readonly id: number };
  readonly senderFrame: SenderFrame | null;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => Promise<Envelope>): void;
  removeHandler(channel: string): void;
}

export interface TrustedRenderer {
  /** webContents id of the main window, or null while there is none. */
  webContentsId(): number | null;
  /** Whether a frame URL is the app's own page (app://flatdeck/…). */
  isAppUrl(url: string): boolean;
}

/**
 * Only the top frame of the main window, showing the app's own origin, may call the core. A subframe, a
 * navigated-away page or another webContents is refused (Electron advisory GHSA-mq8j-3h7h-p8g7).
 */
export function isTrustedSender(event: InvokeEvent, trusted: TrustedRenderer): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame.parent !== null) return false;
  return event.sender.id === trusted.webContentsId() && trusted.isAppUrl(frame.url);
}

/**
 * Puts the core behind `ipcMain.handle('flatdeck:call', (event, method, params) => Envelope)`.
 * Returns a function that removes the handler.
 */
export function registerApiIpc(ipcMain: IpcMainLike, handler: ApiHandler, trusted: TrustedRenderer): () => void {
  ipcMain.handle(callChannel, async (event, ...args) => {
    if (!isTrustedSender(event, trusted)) {
      const url = event.senderFrame?.url ?? null;
      return { error: toErrorInfo(new ApiError('forbidden', 'This frame may not call flatdeck.', { url })), result: null };
    }
    if (args.length !== 2) {
      const error = new ApiError('invalid-request', 'Expected exactly (method, params).', { arguments: args.length });
      return { error: error.toInfo(), result: null };
    }
    return dispatchRequest(handler, args[0], args[1]);
  });
  return () => ipcMain.removeHandler(callChannel);
}
