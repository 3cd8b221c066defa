// A node the operator did not update through flatdeck, seen in Chromium: its own update_engine checks, downloads
// and stages, and the nodes table follows it live (state, download %, the staged version) without a run and
// without a refresh.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ssh } from '../integration/sim-ssh-client.ts';
import { closeDemo, demoInChromium, shot, waitUntil } from './harness.ts';
import type { Browser, Served } from './harness.ts';

/** worker-2 in the demo: update-engine enabled and running, locksmithd masked (a FLUO-ready node). */
const NODE = 'worker-2';

/** Every change of the node's row (state word, download %, staged badge) from now on. (A string: see operator-ux.) */
const RECORD_ROW = `{
  const seen = (window.__row = []);
  const note = () => {
    const row = document.querySelector('tr[data-node="${NODE}"]');
    if (!row) return;
    const bar = row.querySelector('[role=progressbar]');
    const entry = {
      state: (row.querySelector('.state')?.textContent ?? '').trim(),
      percent: bar ? Number(bar.getAttribute('aria-valuenow')) : null,
      staged: row.querySelector('[data-staged]')?.getAttribute('data-staged') ?? null,
    };
    const last = seen[seen.length - 1];
    if (!last || last.state !== entry.state || last.percent !== entry.percent || last.staged !== entry.staged) seen.push(entry);
  };
  new MutationObserver(note).observe(document.querySelector('tbody'), { subtree: true, childList: true, characterData: true, attributes: true });
  note();
}`;

interface RowReading { state: string; percent: number | null; staged: string | null }

describe('live update_engine state in the nodes table, in Chromium', { timeout: 300_000 }, () => {
  let served: Served;
  let browser: Browser;
  let page: Page;

  before(async () => {
    ({ served, browser, page } = await demoInChromium({ FLATDECK_DEMO_TIME_SCALE: '0.2' }));
  });

  after(() => closeDemo(browser, served));

  test('a download the operator did not start shows live, through to the staged version', async () => {
    await page.getByRole('button', { name: 'Open demo' }).click();
    await page.getByRole('navigation').getByRole('button', { name: 'Nodes', exact: true }).click();
    const row = page.locator(`tbody tr[data-node="${NODE}"]`);
    // Idle, unless its own schedule (7±5 min × 0.2) already started a check: then the check below is skipped
    await waitUntil(`${NODE} read over SSH`, async () => ['Idle', 'Checking for update', 'Update available'].includes(((await row.locator('.state').textContent()) ?? '').trim()), 90_000);
    await page.evaluate(RECORD_ROW);

    // The operator's own SSH session, outside flatdeck, does what update_engine's schedule would.
    const check = await ssh(join(served.dataDir, 'demo-cluster', 'ssh_config'), NODE, 'update_engine_client -check_for_update');
    assert.equal(check.code, 0, check.stderr);

    const readings = await waitUntil('the node to stage the update, as the table shows it', async () => {
      const seen = await page.evaluate<RowReading[]>('window.__row');
      return seen.some((r) => r.state === 'Reboot needed' && r.staged) ? seen : null;
    }, 120_000);
    await shot(page, 'live-download-staged');

    const percents = readings.filter((r) => r.state === 'Downloading' && r.percent !== null && r.percent > 0 && r.percent < 100).map((r) => r.percent!);
    assert.ok(percents.length >= 5, `the download went forward on screen: ${JSON.stringify(readings)}`);
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), 'its percent only grows');
    const order = readings.map((r) => r.state).filter((s, i, all) => s !== all[i - 1]);
    assert.ok(order.indexOf('Downloading') > 0 && order.indexOf('Downloading') < order.indexOf('Reboot needed'), `states in order: ${order.join(' → ')}`);
    const staged = readings.find((r) => r.staged)!;
    assert.match(staged.staged!, /^\d+\.\d+\.\d+$/);
    assert.equal(staged.state, 'Reboot needed', 'the staged version appears once update_engine has staged it');
    assert.equal((await row.locator('td').nth(12).textContent())?.trim(), '–', 'no run is involved');
    assert.deepEqual(browser.errors, []);
  });
});
