import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRenderer, openBrowser, shot } from './harness.ts';
import type { Browser } from './harness.ts';

// Its own build, so it never races the browser-mode tests that serve renderer/dist.
const dist = mkdtempSync(join(tmpdir(), 'flatdeck-renderer-')) + '/';
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/**
 * A stand-in for the preload bridge with a 5,000-node cluster, so the real renderer build can be measured in
 * Chromium at a fleet size the simulator does not run. Only the table is under test here.
 */
const fakeBridge = `{
  const versions = ['4081.2.0', '4152.2.1', '4230.2.3', '4459.2.1'];
  const nodes = Array.from({ length: 5000 }, (_, i) => ({
    name: 'node-' + String(i).padStart(4, '0'), roles: i < 3 ? ['control-plane'] : ['worker'],
    addresses: { internalIP: '10.0.' + (i >> 8) + '.' + (i & 255), externalIP: null, hostname: null },
    osImage: 'Flatcar Container Linux by Kinvolk', distribution: 'flatcar', flatcarVersion: versions[i % 4],
    channel: i % 5 === 0 ? 'beta' : 'stable', kernelVersion: '6.6', kubeletVersion: 'v1.33.4',
    ready: i % 97 === 0 ? 'False' : 'True', lastHeartbeat: null, unschedulable: i % 211 === 0, taints: [],
    bootID: 'b' + i, fluo: null, flatdeck: null, stagedVersion: null, machineDeployment: null, createdAt: null,
  }));
  const answers = {
    'settings.get': null,
    'clusters.list': [{ id: 'big', name: 'big', source: 'kubeconfig', server: 'https://10.0.0.1:6443', kubeconfigPath: '/dev/null', state: 'connected', error: null, nodeCount: 5000 }],
    'clusters.connect': { id: 'big', name: 'big', source: 'kubeconfig', server: 'https://10.0.0.1:6443', kubeconfigPath: '/dev/null', state: 'connected', error: null, nodeCount: 5000 },
    'nodes.list': nodes, 'rollout.list': [], 'nodes.refreshLive': [], 'prompt.pending': [], 'activity.list': [], 'runs.unfinished': [],
    'releases.get': { cluster: 'big', feedUrl: 'https://www.flatcar.org/releases-json/', fetchedAt: '2026-12-04T10:00:00.000Z', error: null,
      channels: [{ channel: 'stable', version: '4459.2.1', releaseDate: null, source: 'cache' }, { channel: 'beta', version: '4459.1.0', releaseDate: null, source: 'cache' }] },
  };
  window.flatdeck = {
    call: async (method) => method in answers && answers[method] !== null ? { error: null, result: answers[method] } : { error: { kind: 'not-found', message: method, facts: {} }, result: null },
    subscribe: () => () => {},
  };
}`;

describe('the node table with 5,000 nodes in Chromium', { timeout: 300_000 }, () => {
  let server: Server;
  let browser: Browser;

  before(async () => {
    buildRenderer(dist);
    server = createServer((req, res) => {
      const path = normalize(join(dist, new URL(req.url ?? '/', 'http://x').pathname === '/' ? 'index.html' : new URL(req.url ?? '/', 'http://x').pathname));
      if (!path.startsWith(dist)) return void res.writeHead(403).end();
      try {
        res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    browser = await openBrowser(`http://127.0.0.1:${port}/`, 'light', fakeBridge);
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    rmSync(dist, { recursive: true, force: true });
  });

  test('renders only the visible rows and scrolls through all of them', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Open big' }).click();
    const t0 = Date.now();
    await page.getByRole('navigation').getByRole('button', { name: 'Nodes', exact: true }).click();
    await page.locator('tbody tr[data-node]').first().waitFor();
    const firstPaintMs = Date.now() - t0;
    assert.equal(await page.getByRole('table', { name: 'Nodes' }).getAttribute('aria-rowcount'), '5001');
    const rendered = await page.locator('tbody tr[data-node]').count();
    assert.ok(rendered > 10 && rendered < 80, `rendered ${rendered} rows`);

    // Scroll the whole table in steps, one step per animation frame, and time the frames.
    const idle = (await page.evaluate(`(async () => {
      const times = [];
      let last = performance.now();
      for (let i = 0; i < 30; i++) {
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      return times.sort((a, b) => a - b)[15];
    })()`)) as number;

    const frames = (await page.evaluate(`(async () => {
      const scroller = document.querySelector('[role=region]');
      const times = [];
      let last = performance.now();
      for (let top = 0; top <= scroller.scrollHeight; top += 900) {
        scroller.scrollTop = top;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      return times;
    })()`)) as number[];
    const sorted = [...frames].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
    // Figures, not asserts: frame times depend on the machine's load; the idle frame is the same run's baseline.
    const median = sorted[sorted.length >> 1] ?? 0;
    console.log(
      `5,000 nodes: first table paint ${firstPaintMs} ms; ${frames.length} scroll frames (900 px each): median ${median.toFixed(1)} ms, ` +
        `p95 ${p95.toFixed(1)} ms; idle frame ${idle.toFixed(1)} ms (ratio ${(median / idle).toFixed(1)}); load average ${loadavg()[0]?.toFixed(1)}`,
    );
    await page.locator('tbody tr[data-node="node-4999"]').waitFor();
    assert.ok((await page.locator('tbody tr[data-node]').count()) < 80);
    await shot(page, 'nodes-5000-light');

    await page.getByRole('button', { name: 'Update state', exact: true }).click();
    await page.getByRole('checkbox', { name: 'Needs attention only' }).check();
    const shown = await page.locator('.head .muted').textContent();
    assert.match(shown ?? '', /^\d+ of 5,000 nodes$/);
    assert.deepEqual(browser.errors, []);
  });
});
