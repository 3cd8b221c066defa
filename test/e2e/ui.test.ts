import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { buildRenderer, openBrowser, serveDemo, shot, waitUntil } from './harness.ts';
import type { Browser, Served } from './harness.ts';

const versionPattern = /Flatcar \d+\.\d+\.\d+/;

async function openDemo(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Open demo' }).click();
  await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
}

async function nodeRows(page: Page) {
  await page.getByRole('navigation').getByRole('button', { name: 'Nodes' }).click();
  const rows = page.locator('tbody tr[data-node]');
  await rows.first().waitFor();
  return rows;
}

describe('flatdeck UI in Chromium, browser mode, on the demo cluster', { timeout: 600_000 }, () => {
  let served: Served;
  let browser: Browser;
  let page: Page;

  before(async () => {
    buildRenderer();
    served = await serveDemo({ FLATDECK_DEMO_TIME_SCALE: '0.1' });
    browser = await openBrowser(served.url);
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
  });

  test('the page moves the token out of the address bar and connects over the WebSocket', async () => {
    await page.getByRole('status').filter({ hasText: 'Connected to flatdeck' }).waitFor();
    assert.ok(!page.url().includes('token='), `token still in ${page.url()}`);
    await page.getByRole('heading', { name: 'Clusters' }).waitFor();
    await shot(page, 'clusters-light');
  });

  test('opening the demo cluster lists its nodes with their Flatcar versions and update state', async () => {
    await openDemo(page);
    const rows = await nodeRows(page);
    assert.equal(await rows.count(), 5);
    for (const text of await rows.locator('td:nth-child(4)').allTextContents()) assert.match(text, versionPattern);
    // The update state comes from update_engine (or its unit) read over SSH, not a placeholder.
    const states = await waitUntil('update states read over SSH', async () => {
      const texts = await rows.locator('td:nth-child(6)').allTextContents();
      return texts.every((s) => !s.includes('Not read yet')) && texts;
    });
    assert.ok(states.every((s) => /Idle|update-engine off/.test(s)), states.join(', '));
    await shot(page, 'nodes-light');
  });

  test('the overview charts versions and update states of the same nodes', async () => {
    await page.getByRole('navigation').getByRole('button', { name: 'Fleet overview' }).click();
    const versions = page.getByRole('table', { name: 'Versions (Flatcar version · channel)' });
    const counts = (await versions.locator('td.num').allTextContents()).map(Number);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      5,
    );
    await shot(page, 'overview-light');
  });

  test('the whole UI switches to German', async () => {
    await page.getByRole('combobox', { name: 'Language' }).selectOption('de');
    await page.getByRole('heading', { name: 'Flottenübersicht' }).waitFor();
    await page.getByRole('navigation', { name: 'Bereiche' }).getByRole('button', { name: 'Knoten' }).click();
    await page.getByRole('columnheader', { name: 'Betriebssystem und Version' }).waitFor();
    await page.getByRole('button', { name: 'Update-Zustand per SSH lesen' }).waitFor();
    assert.equal(await page.evaluate('document.documentElement.lang'), 'de');
    await shot(page, 'nodes-de');
    await page.getByRole('combobox', { name: 'Sprache' }).selectOption('en');
    await page.getByRole('heading', { name: 'Nodes' }).waitFor();
  });

  test('no page errors and no CSP violations', () => {
    assert.deepEqual(browser.errors, []);
  });
});
