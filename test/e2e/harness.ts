import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

const root = new URL('../../', import.meta.url).pathname;
/** Screenshots land in test-results/ (gitignored); the best are copied to docs/screenshots by hand. */
export const shotsDir = join(root, 'test-results', 'screenshots');

export interface Served {
  url: string;
  /** The server's --data-dir (the demo cluster's files live in demo-cluster/). */
  dataDir: string;
  /** The server process (the core runs in it). */
  pid: number;
  /** Ends the server and keeps its data folder (for a restart). */
  kill(): Promise<void>;
  /** Ends the server and removes its data folder. */
  stop(): Promise<void>;
}

function newestMtime(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
    const p = join(dir, e.name);
    return Math.max(max, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }, 0);
}

/**
 * Builds the renderer into `outDir`. For renderer/dist (what `npm run serve` serves) only when the build is
 * older than the sources: `npm test` has just built it, and test files run in parallel.
 */
export function buildRenderer(outDir = join(root, 'renderer', 'dist')): void {
  const index = join(outDir, 'index.html');
  const isDefault = outDir === join(root, 'renderer', 'dist');
  if (isDefault && existsSync(index) && statSync(index).mtimeMs > newestMtime(join(root, 'renderer', 'src'))) return;
  const args = ['build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error', '--outDir', outDir, '--emptyOutDir'];
  const r = spawnSync(join(root, 'node_modules', '.bin', 'vite'), args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('vite build failed');
}

export interface ServeOptions {
  /** Reuse a data folder (a restart); by default a fresh one. */
  dataDir?: string;
  port?: number;
  /** false: only the clusters of $KUBECONFIG (in `env`), no demo cluster. */
  demo?: boolean;
}

/** `npm run serve -- --demo --port 0` as a child process; resolves with the printed URL (token included). */
export async function serveDemo(env: NodeJS.ProcessEnv = {}, opts: ServeOptions = {}): Promise<Served> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flatdeck-e2e-'));
  const args = ['bin/flatdeck.js', 'serve', ...(opts.demo === false ? [] : ['--demo']), '--port', String(opts.port ?? 0), '--data-dir', dataDir];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flatdeck serve did not print its URL within 90 s:\n${stderr}`)), 90_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^flatdeck listening on (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64})$/.exec(line);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`flatdeck serve exited with ${code}:\n${stderr}`));
    });
  });
  async function kill(): Promise<void> {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  return {
    url,
    dataDir,
    pid: child.pid ?? 0,
    kill,
    async stop() {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  page: Page;
  context: BrowserContext;
  errors: string[];
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile; collects page errors and CSP violations. */
export async function openBrowser(url: string, colorScheme: 'light' | 'dark' = 'light', initScript?: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'flatdeck-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
    colorScheme,
    locale: 'en-GB',
  });
  await context.grantPermissions(['notifications'], { origin: new URL(url).origin });
  // Record desktop notifications so tests can see what the app announced.
  await context.addInitScript(`{
    const Native = window.Notification;
    window.__notifications = [];
    window.Notification = class extends Native {
      constructor(title, options) { super(title, options); window.__notifications.push({ title, body: options && options.body }); }
    };
  }`);
  if (initScript) await context.addInitScript(initScript);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return {
    page,
    context,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The demo served in browser mode (renderer built first) and opened in Chromium: what most e2e files start from. */
export async function demoInChromium(env: NodeJS.ProcessEnv): Promise<{ served: Served; browser: Browser; page: Page }> {
  buildRenderer();
  const served = await serveDemo(env);
  const browser = await openBrowser(served.url);
  return { served, browser, page: browser.page };
}

/** Closes what demoInChromium opened (either may be missing when its start failed). */
export async function closeDemo(browser: Browser | undefined, served: Served | undefined): Promise<void> {
  await browser?.close();
  await served?.stop();
}

/** Polls an async check until it returns a truthy value; fails with the last value seen. */
export async function waitUntil<T>(what: string, check: () => Promise<T | false | null | undefined>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | false | null | undefined;
  do {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  } while (Date.now() < deadline);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: join(shotsDir, `${name}.png`) });
}
