import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { _electron as electron } from 'playwright-core';
import { buildMain, buildRenderer, mainBundle, root } from '../../scripts/build-main.mjs';
import { electronBinaryPath } from '../../scripts/electron-binary.mjs';
import { updateOneDemoNode } from './electron-update-flow.ts';

// The desktop app itself, driven by Playwright's _electron: it runs wherever the Electron binary exists
// (GitHub Actions, developer machines) and reports itself skipped, with the reason, where it does not.

interface BridgeAnswer {
  error: unknown;
  result: unknown;
}
/** The page's globals this test touches (the test compiles without DOM types). */
interface PageGlobals {
  flatdeck?: { call(method: string, params: unknown): Promise<BridgeAnswer>; subscribe(listener: (e: unknown) => void): () => void };
  require?: unknown;
  process?: unknown;
  open(url: string): unknown;
  location: { href: string };
}

function skipReason(): string | null {
  if (!electronBinaryPath()) {
    return 'the Electron binary is not installed (node_modules/electron/dist is missing; run `node node_modules/electron/install.js` where github.com is reachable)';
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'no display: run the tests under xvfb-run';
  }
  return null;
}

describe('flatdeck desktop app (Electron)', () => {
  it('launches hardened and updates one demo node through the UI', async (t) => {
    const reason = skipReason();
    if (reason) {
      t.skip(reason);
      return;
    }
    if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) buildRenderer();
    await buildMain();

    const home = mkdtempSync(join(tmpdir(), 'flatdeck-electron-'));
    mkdirSync(join(home, '.config'));
    const app = await electron.launch({
      executablePath: electronBinaryPath() ?? undefined,
      args: [mainBundle, '--demo'],
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        APPDATA: join(home, 'AppData'),
        KUBECONFIG: join(home, 'no-kubeconfig'),
        FLATDECK_DEMO_TIME_SCALE: '0.05',
      },
      timeout: 120_000,
    });
    try {
      const page = await app.firstWindow({ timeout: 120_000 });
      await page.getByRole('button', { name: 'Open demo' }).waitFor({ timeout: 120_000 });

      // One window, served from app://, user data in the isolated HOME.
      const shown = await app.evaluate(({ BrowserWindow, app: electronApp }) => ({
        urls: BrowserWindow.getAllWindows().map((w) => w.webContents.getURL()),
        userData: electronApp.getPath('userData'),
      }));
      assert.deepEqual(shown.urls, ['app://flatdeck/index.html']);
      assert.ok(shown.userData.startsWith(home), `user data in the isolated HOME: ${shown.userData}`);

      // No Node in the page; the bridge (only possible with contextIsolation) has exactly two functions.
      const surface = await page.evaluate(() => {
        const globals = globalThis as unknown as PageGlobals;
        return { require: typeof globals.require, process: typeof globals.process, bridge: Object.keys(globals.flatdeck ?? {}).sort() };
      });
      assert.deepEqual(surface, { require: 'undefined', process: 'undefined', bridge: ['call', 'subscribe'] });

      // Navigation away and new windows are refused.
      await page.evaluate(() => (globalThis as unknown as PageGlobals).open('https://attacker.example/'));
      await page.evaluate(() => {
        (globalThis as unknown as PageGlobals).location.href = 'https://attacker.example/';
      });
      await page.waitForTimeout(500);
      assert.equal(page.url(), 'app://flatdeck/index.html');
      assert.equal(app.windows().length, 1);

      const call = (method: string, params: unknown): Promise<BridgeAnswer> =>
        page.evaluate(([m, p]) => {
          const bridge = (globalThis as unknown as PageGlobals).flatdeck;
          if (!bridge) throw new Error('window.flatdeck is missing');
          return bridge.call(m, p);
        }, [method, params] as const);
      const invalid = await call('nodes.format', {});
      assert.equal((invalid.error as { kind?: string } | null)?.kind, 'invalid-request');

      const started = Date.now();
      const outcome = await updateOneDemoNode(page, call, 240_000);
      console.log(`Electron: updated ${outcome.node} ${outcome.from} → ${outcome.to} in ${((Date.now() - started) / 1000).toFixed(1)} s (time scale 0.05)`);
      assert.notEqual(outcome.to, outcome.from);
    } finally {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
