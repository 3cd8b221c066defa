// FLUO running in the demo cluster, seen in Chromium: auto-update on, and the node table follows FLUO's phases of
// a node (update_engine's state as its agent reports it, then FLUO's own reboot) as they happen.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { closeDemo, demoInChromium, shot, waitUntil } from './harness.ts';
import type { Browser, Served } from './harness.ts';

/** The phase words the table shows, in the order FLUO goes through them for one node. */
const NEED_REBOOT = 'Updated, waiting to reboot';
const REBOOT_PHASES = ['Rebooting', 'Rebooted'];

async function go(page: Page, section: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: section, exact: true }).click();
}

/** Each node's FLUO cell as the table shows it now. */
async function phases(page: Page): Promise<Array<{ node: string; phase: string; raw: string }>> {
  return page.locator('tbody tr[data-node]').evaluateAll((rows) =>
    rows.map((r) => {
      const cell = r.querySelector('[data-testid="fluo-phase"]');
      return { node: r.getAttribute('data-node') ?? '', phase: cell?.textContent?.trim() ?? '', raw: cell?.getAttribute('title') ?? '' };
    }),
  );
}

describe('FLUO in the demo cluster, in Chromium', { timeout: 900_000 }, () => {
  let served: Served;
  let browser: Browser;
  let page: Page;

  before(async () => {
    ({ served, browser, page } = await demoInChromium({ FLATDECK_DEMO_TIME_SCALE: '0.1' }));
  });

  after(() => closeDemo(browser, served));

  test("with auto-update on, FLUO updates a node by itself and the node table follows its phases to the reboot", async () => {
    await page.getByRole('button', { name: 'Open demo' }).click();
    await go(page, 'Auto-update');
    const toggle = page.getByRole('switch', { name: /Automatic updates/ });
    await toggle.waitFor();
    await toggle.click();
    const plan = page.getByRole('dialog', { name: 'Plan: turn automatic updates on' });
    await plan.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('heading', { name: 'Results' }).waitFor({ timeout: 120_000 });

    await go(page, 'Nodes');
    await page.locator('tbody tr[data-node]').first().waitFor();
    // Every phase each node showed, in order; nothing in flatdeck asks for them: they arrive as node events.
    const seen = new Map<string, string[]>();
    const rebooting = await waitUntil(
      'a node going from "Updated, waiting to reboot" into FLUO\'s reboot',
      async () => {
        for (const { node, phase } of await phases(page)) {
          const list = seen.get(node) ?? [];
          if (phase && phase !== '–' && list.at(-1) !== phase) list.push(phase);
          seen.set(node, list);
        }
        return [...seen].find(([, list]) => list.includes(NEED_REBOOT) && REBOOT_PHASES.includes(list.at(-1) ?? '') && list.indexOf(NEED_REBOOT) < list.length - 1);
      },
      600_000,
      100,
    );
    const [node, list] = rebooting;
    await shot(page, 'fluo-running-light');
    assert.deepEqual(list.slice(list.indexOf(NEED_REBOOT) + 1).filter((p) => !REBOOT_PHASES.includes(p)), [], `${node} went through ${list.join(' → ')}`);
    const row = page.locator(`tbody tr[data-node="${node}"]`);
    const cell = row.getByTestId('fluo-phase');
    await waitUntil(`${node} rebooted by FLUO`, async () => ['Rebooted', 'Idle'].includes((await cell.textContent())?.trim() ?? ''), 300_000);
    const detail = (await phases(page)).find((p) => p.node === node);
    // After the reboot FLUO's raw status may still say NEED_REBOOT; the table never does.
    assert.notEqual(detail?.phase, NEED_REBOOT, `${node}: ${JSON.stringify(detail)} after ${list.join(' → ')}`);
    // the node's detail names the same phase
    await page.getByRole('button', { name: node, exact: true }).click();
    const inDetail = page.locator('dd[data-testid="fluo-phase"]');
    await inDetail.waitFor();
    assert.ok(['Rebooted', 'Idle'].includes((await inDetail.textContent())?.trim() ?? ''), `${node} detail: ${await inDetail.textContent()}`);
    assert.deepEqual(browser.errors, []);
  });
});
