// Runs sandboxed: it may only require 'electron', and it is bundled to CommonJS (scripts/build-main.mjs).
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { callChannel, eventChannel } from './channels.ts';

type Listener = (event: unknown) => void;
const listeners = new Set<Listener>();

// One IPC listener for all subscribers; the IpcRendererEvent (which carries `sender`) never reaches the page.
ipcRenderer.on(eventChannel, (_event: IpcRendererEvent, apiEvent: unknown) => {
  for (const listener of listeners) {
    try {
      listener(apiEvent);
    } catch (err) {
      console.error('flatdeck: event listener failed', err);
    }
  }
});

contextBridge.exposeInMainWorld('flatdeck', {
  call: (method: string, params: unknown): Promise<unknown> => ipcRenderer.invoke(callChannel, String(method), params),
  subscribe: (listener: Listener): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a function');
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
});
