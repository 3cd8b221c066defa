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
