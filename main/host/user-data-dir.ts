import { chmodSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The folder Electron's `app.getPath('userData')` uses for flatdeck, so browser mode and the CLI share the
 * desktop app's settings and journal: XDG_CONFIG_HOME (Linux), Application Support (macOS), APPDATA (Windows).
 */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'flatdeck');
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'flatdeck');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'flatdeck');
}

/**
 * The data folder holds the activity log and run journals (clusters, nodes, what was done to them): readable
 * by this user only. Everything the process creates from now on is 0600/0700 (umask 077), and a folder an
 * older version made 0755 is closed, which also covers the files already in it.
 */
export function privateDataDir(dir: string): string {
  process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}
