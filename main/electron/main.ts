// Electron main process: hosts the core (app/service) and one hardened window that reaches it only through
// the preload bridge. `--demo` adds the built-in simulated Flatcar cluster. Given a command (`flatdeck nodes`,
// `flatdeck serve`), the same binary is the CLI instead, without any window.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, app, ipcMain, protocol, session, shell } from 'electron';
import type { RunningCore } from '../host/start-core.ts';
import { deferredHandler } from '../host/deferred-handler.ts';
import { startCore } from '../host/start-core.ts';
import { registerAppProtocol } from './app-protocol.ts';
import { eventChannel } from './channels.ts';
import { cliArguments } from './cli-mode.ts';
import { registerApiIpc } from './ipc.ts';
import { appEntryUrl, appScheme, hardenSession, hardenWebContents, isAllowedExternalUrl, isAppUrl } from './window-security.ts';

// Bundled to dist/electron/main.mjs; the renderer build and the preload are found relative to it
// (the same layout inside app.asar).
const rendererDir = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));
const preloadPath = fileURLToPath(new URL('./preload.cjs', import.meta.url));
// `npm run demo` always adds the simulated cluster; `npm start` adds it only when there is no kubeconfig.
const demo = process.argv.includes('--demo') ? 'always' : 'without-kubeconfig';

let mainWindow: BrowserWindow | null = null;
let core: Promise<RunningCore> | null = null;

// `electron dist/electron/main.mjs` (npm start) has no package.json next to it; name the app and its data
// folder explicitly so development and packaged builds, and browser mode, share one place.
app.setName('flatdeck');
app.setPath('userData', join(app.getPath('appData'), 'flatdeck'));
// Every renderer sandboxed, whatever a window's options say.
app.enableSandbox();
protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const commandLine = cliArguments(process.argv, app.isPackaged);
if (commandLine) {
  app.dock?.hide();
  // The CLI bundle beside this one (dist/cli/, also in app.asar), loaded only for a command-line run.
  const cli = (await import(new URL('../cli/flatdeck.mjs', import.meta.url).href)) as { main(argv: readonly string[]): Promise<number> };
  app.exit(await cli.main(commandLine));
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  // Applies to every webContents that ever exists, not only the main window.
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, (url) => {
      if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    });
  });

  app.on('window-all-closed', () => app.quit());

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !core) return;
    event.preventDefault();
    quitting = true;
    const running = core;
    core = null;
    void running
      .then((started) => started.stop())
      .catch((err: unknown) => console.error('flatdeck: shutdown failed', err))
      .finally(() => app.quit());
  });

  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      console.error('flatdeck: could not start', err);
      app.exit(1);
    });
}

async function start(): Promise<void> {
  hardenSession(session.defaultSession);
  registerAppProtocol(protocol, rendererDir);
  // The window opens at once; calls wait until the core (and the demo simulator) are up.
  core = startCore({ dataDir: app.getPath('userData'), demo });
  core.catch((err: unknown) => console.error('flatdeck: the core could not start', err));
  const handler = deferredHandler(core.then((started) => started.handler));

  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'flatdeck',
    show: false,
    // Spelled out here (not built by a helper) so Electronegativity can check them.
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // No DevTools in a packaged build: they would give anyone at the keyboard the renderer's API bridge.
      devTools: !app.isPackaged,
      // Middle-click would otherwise try to open links in new windows.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  mainWindow = window;
  const contentsId = window.webContents.id;
  registerApiIpc(ipcMain, handler, { webContentsId: () => (mainWindow ? contentsId : null), isAppUrl });
  const unsubscribe = handler.subscribe((event) => {
    if (!window.isDestroyed()) window.webContents.send(eventChannel, event);
  });
  window.on('closed', () => {
    unsubscribe();
    mainWindow = null;
  });
  window.once('ready-to-show', () => window.show());
  await window.loadURL(appEntryUrl);
}
