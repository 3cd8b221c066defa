import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { startCore } from '../../main/host/start-core.ts';
import { startBrowserServer } from '../../main/serve/server.ts';
import { buildRenderer, root } from '../../scripts/build-main.mjs';
import { updateOneDemoNode } from '../e2e/electron-update-flow.ts';

const chromiumPath = '/usr/bin/chromium';
const rendererDir = join(root, 'renderer', 'dist');

describe('browser mode in Chromium, on the demo cluster', () => {
  it('loads under the strict CSP, talks over the token-guarded WebSocket and updates one node', async (t) => {
    if (!existsSync(chromiumPath)) {
      t.skip(`Chromium is not installed at ${chromiumPath}`);
      return;
    }
    if (!existsSync(join(rendererDir, 'index.html'))) buildRenderer();
    const dataDir = mkdtempSync(join(tmpdir(), 'flatdeck-serve-chromium-'));
    const core = await startCore({ dataDir, demo: 'always', env: { ...process.env, KUBECONFIG: join(dataDir, 'no-kubeconfig'), FLATDECK_DEMO_TIME_SCALE: '0.05' } });
    const server = await startBrowserServer({ handler: core.handler, staticDir: rendererDir });
    const browser = await chromium.launch({ executablePath: chromiumPath });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      const responses: Array<{ url: string; csp: string | undefined }> = [];
      page.on('response', (r) => responses.push({ url: r.url(), csp: r.headers()['content-security-policy'] }));

      await page.goto(server.url);
      await page.getByRole('button', { name: 'Open demo' }).waitFor();
      const token = new URL(server.url).hash.replace(/^#token=/, '');
      assert.ok(token.length >= 64, 'the printed URL carries the token');
      assert.ok(!page.url().includes(token), `the token leaves the address bar: ${page.url()}`);
      assert.equal(new URL(page.url()).hash, '#/clusters', 'the app routes to its first view instead');
      assert.ok(responses.length >= 2, 'page and its assets were loaded');
      for (const r of responses) assert.match(r.csp ?? '', /default-src 'none'/, `no CSP on ${r.url}`);

      // The page's own connection is authenticated; a second one from the page without the token is refused.
      const refused = await page.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(url, ['flatdeck.v1']);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
          }),
        `ws://127.0.0.1:${server.port}/ws`,
      );
      assert.equal(refused, 'refused');

      const call = async (method: string, params: unknown) => {
        const res = await fetch(`${server.origin}/api/call`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Flatdeck-Token': server.token },
          body: JSON.stringify({ method, params }),
        });
        return (await res.json()) as { error: unknown; result: unknown };
      };
      const started = Date.now();
      const outcome = await updateOneDemoNode(page, call, 240_000);
      console.log(`updated ${outcome.node} ${outcome.from} → ${outcome.to} in ${((Date.now() - started) / 1000).toFixed(1)} s (time scale 0.05)`);
      assert.notEqual(outcome.to, outcome.from);
      const cspViolations = problems.filter((p) => /Content Security Policy/i.test(p));
      assert.deepEqual(cspViolations, [], 'the renderer runs under the CSP without violations');
    } finally {
      await browser.close();
      await server.close();
      await core.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
