/** IPC channel names shared by the preload and the main process. */
export const callChannel = 'flatdeck:call';
export const eventChannel = 'flatdeck:event';
