// What an operator sees in browser mode on the demo (Chromium): which nodes are behind, navigation that
// survives Back/Forward/reload, the connection banner, the keyboard, German messages and an honest cancel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEFAULT_RELEASES } from '../../sim/fleet/release-server.ts';
import { buildRenderer, openBrowser, serveDemo, shot, waitUntil } from './harness.ts';
import type { Browser, Served } from './harness.ts';

function older(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0);
  return false;
}

async function go(page: Page, section: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: section, exact: true }).click();
}

interface TableRow {
  node: string;
  version: string;
  channel: string;
  available: string;
  behind: string;
}

async function tableRows(page: Page): Promise<TableRow[]> {
  await page.locator('tbody tr[data-node]').first().waitFor();
  const cells = await page
    .locator('tbody tr[data-node]')
    .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-node') ?? '', ...[...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())]));
  return cells.map(([node = '', , , , os = '', channel = '', available = '', behind = '']) => ({ node, version: os.replace('Flatcar ', ''), channel, available, behind }));
}

describe('operator UX in Chromium, browser mode, on the demo cluster', { timeout: 900_000 }, () => {
  let served: Served;
  let browser: Browser;
  let page: Page;

  before(async () => {
    buildRenderer();
    served = await serveDemo({ FLATDECK_DEMO_TIME_SCALE: '0.1' });
    browser = await openBrowser(served.url);
    page = browser.page;
    await page.getByRole('button', { name: 'Open demo' }).click();
    await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
  });

  test('before any update, each node shows the newest release of its channel and whether it is behind', async () => {
    await go(page, 'Nodes');
    const rows = await waitUntil('the release feed read', async () => {
      const now = await tableRows(page);
      return now.every((r) => /^\d+\.\d+\.\d+$/.test(r.available)) && now;
    });
    assert.equal(rows.length, 5);
    for (const row of rows) {
      const newest = DEFAULT_RELEASES[row.channel as 'stable' | 'beta'].version;
      assert.equal(row.available, newest, `${row.node} on ${row.channel}`);
      assert.equal(row.behind, older(row.version, newest) ? 'behind' : 'current', `${row.node} runs ${row.version}`);
    }
    assert.ok(rows.some((r) => r.behind === 'behind') && rows.some((r) => r.behind === 'current'), JSON.stringify(rows));
    const link = page.locator(`tbody tr[data-node="${rows[0]!.node}"] td:nth-child(6) a`);
    assert.equal(await link.getAttribute('href'), `https://www.flatcar.org/releases#release-${rows[0]!.available}`);
    await shot(page, 'ux-nodes-behind-light');

    await go(page, 'Fleet overview');
    for (const channel of ['stable', 'beta']) {
      const behind = rows.filter((r) => r.channel === channel && r.behind === 'behind').length;
      const expected = behind === 0 ? 'all current' : `${behind} ${behind === 1 ? 'node' : 'nodes'} behind`;
      assert.equal((await page.getByTestId(`behind-${channel}`).textContent())?.trim(), expected, channel);
    }
    await shot(page, 'ux-overview-behind-light');

    // Update is the primary action only on a node that is behind.
    const current = rows.find((r) => r.behind === 'current')!;
    const behind = rows.find((r) => r.behind === 'behind')!;
    for (const [row, primary] of [
      [current, false],
      [behind, true],
    ] as const) {
      await go(page, 'Nodes');
      await page.getByRole('button', { name: row.node, exact: true }).click();
      const update = page.getByRole('button', { name: 'Update', exact: true });
      await update.waitFor();
      assert.equal(await update.evaluate((el) => el.classList.contains('primary')), primary, row.node);
    }
  });

  test('Back, Forward and reload keep the cluster, the view and the node; a node detail can be linked', async () => {
    await go(page, 'Nodes');
    await page.getByRole('button', { name: 'worker-2', exact: true }).click();
    await page.getByRole('heading', { name: 'worker-2', level: 1 }).waitFor();
    assert.match(page.url(), /#\/c\/demo\/nodes\/worker-2$/);
    await page.goBack();
    await page.getByRole('heading', { name: 'Nodes', level: 1 }).waitFor();
    assert.match(page.url(), /#\/c\/demo\/nodes$/);
    await page.goForward();
    await page.getByRole('heading', { name: 'worker-2', level: 1 }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'worker-2', level: 1 }).waitFor();
    await page.locator('[data-stage]').first().waitFor();
    assert.equal(await page.getByRole('navigation').getByRole('button', { name: 'Nodes', exact: true }).getAttribute('aria-current'), 'page');
    // A link straight to another node's detail (same browser session: the token lives in sessionStorage).
    await page.goto(page.url().replace(/worker-2$/, 'worker-4'));
    await page.getByRole('heading', { name: 'worker-4', level: 1 }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'worker-2', level: 1 }).waitFor();
    await go(page, 'Activity');
    await page.goBack();
    await page.getByRole('heading', { name: 'worker-2', level: 1 }).waitFor();
  });

  test('no page errors and no CSP violations', () => {
    assert.deepEqual(browser.errors, []);
  });
});
