// Beyond "update to latest" in Chromium, browser mode, on the demo cluster: roll a node back to its other USR
// partition, move a node to another channel, reboot the Ubuntu node that needs it, and a rollout to an exact
// version that does not exist. The safety invariants are checked over the demo's fleet after each case.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { Locator, Page } from 'playwright-core';
import { DEFAULT_RELEASES } from '../../sim/fleet/release-server.ts';
import { guardFleet, type FleetGuard } from '../support/invariants-recorder.ts';
import { buildRenderer, openBrowser, serveDemo, shot, waitUntil } from './harness.ts';
import type { Browser, Served } from './harness.ts';

async function go(page: Page, section: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: section, exact: true }).click();
}

async function openNode(page: Page, node: string): Promise<void> {
  await go(page, 'Nodes');
  await page.getByRole('button', { name: node, exact: true }).click();
  await page.getByRole('heading', { name: node, level: 1 }).waitFor();
}

interface TableRow {
  node: string;
  version: string;
  channel: string;
  cordoned: string;
}

async function tableRows(page: Page): Promise<TableRow[]> {
  await go(page, 'Nodes');
  await page.locator('tbody tr[data-node]').first().waitFor();
  const cells = await page
    .locator('tbody tr[data-node]')
    .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-node') ?? '', ...[...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())]));
  return cells.map(([node = '', , , , os = '', channel = '', , , , , , cordoned = '']) => ({ node, version: os.replace('Flatcar ', ''), channel, cordoned }));
}

async function row(page: Page, node: string): Promise<TableRow> {
  const found = (await tableRows(page)).find((r) => r.node === node);
  assert.ok(found, `${node} is in the table`);
  return found;
}

/** In a run's confirmation: let the drain delete pods with emptyDir data and pods without a controller. */
async function allowDrainDeletes(dialog: Locator): Promise<void> {
  for (const field of ['Pods with emptyDir data', 'Pods without controller']) await dialog.getByRole('combobox', { name: field }).selectOption('delete');
}

/** Records every stage the node page's progression marks active, however briefly (before the run starts). */
async function watchActiveStages(page: Page): Promise<void> {
  await page.evaluate(`{
    const seen = (window.__activeStages = []);
    const note = () => document.querySelectorAll('[data-stage][data-status="active"]').forEach((el) => {
      const key = el.getAttribute('data-stage');
      if (seen[seen.length - 1] !== key) seen.push(key);
    });
    new MutationObserver(note).observe(document.body, { attributes: true, subtree: true, childList: true });
  }`);
}

/** Waits until the node page's progression shows every stage done or skipped; fails at once on a failed one. */
async function runEnded(page: Page, what: string): Promise<void> {
  let statuses: string[] = [];
  await waitUntil(
    what,
    async () => {
      statuses = await page.locator('[data-stage]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-stage')}:${e.getAttribute('data-status')}`));
      assert.ok(!statuses.some((s) => s.endsWith(':failed')), statuses.join(', '));
      // a run refused at its pre-flight has no failed stage: the page's step line says it failed
      const said = (await page.getByTestId('step-message').allTextContents()).join(' ').trim();
      assert.ok(!said.endsWith('· Failed'), said);
      return statuses.length > 0 && statuses.every((s) => /:(done|skipped)$/.test(s)) && statuses;
    },
    300_000,
    250,
  ).catch(async (err: Error) => {
    const said = (await page.getByTestId('step-message').allTextContents()).join(' ').trim();
    assert.fail(`${err.message}; stages: ${statuses.join(', ')}; the page says: ${said}`);
  });
}

/**
 * A run that reboots the node without update_engine (a rollback, an Ubuntu reboot), as its page showed it: it
 * ends with every stage done or skipped, update_engine's stages skipped (a Flatcar node) or not shown at all (an
 * Ubuntu node), and cordon, drain and reboot shown active in that order, uncordon never before the reboot.
 */
async function rebootRunShown(page: Page, what: string, engineStages: 'skipped' | 'none'): Promise<void> {
  await waitUntil('the run to start', async () => (await page.locator('[data-stage]').count()) > 0 && (await page.getByRole('button', { name: 'Updating…' }).count()) > 0, 60_000);
  await runEnded(page, what);
  const engine = await page.locator('[data-stage^="UPDATE_STATUS_"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
  if (engineStages === 'none') assert.deepEqual(engine, [], 'a node without update_engine shows none of its stages');
  else assert.ok(engine.length > 0 && engine.every((st) => st === 'skipped'), `update_engine took no part: ${engine.join(', ')}`);
  const active = (await page.evaluate('window.__activeStages')) as string[];
  // uncordon is one quick API call: under load the page may render it straight as done (checked above), so it
  // must only never be shown active before the reboot
  const order = ['cordon', 'drain', 'reboot'].map((s) => active.indexOf(s));
  assert.ok(order.every((i) => i >= 0), `cordon, drain and reboot each shown: ${active.join(' → ')}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order, `in turn: ${active.join(' → ')}`);
  const uncordonShown = active.indexOf('uncordon');
  assert.ok(uncordonShown === -1 || uncordonShown > order[2]!, `uncordon after the reboot: ${active.join(' → ')}`);
}

describe('rollback, channels, Ubuntu reboots and exact versions in Chromium, browser mode, on the demo cluster', { timeout: 900_000 }, () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  let guard: FleetGuard;

  before(async () => {
    buildRenderer();
    served = await serveDemo({ FLATDECK_DEMO_TIME_SCALE: '0.1' });
    const demo = join(served.dataDir, 'demo-cluster');
    const kc = new KubeConfig();
    kc.loadFromFile(join(demo, 'kubeconfig'));
    guard = await guardFleet(kc, join(demo, 'events.jsonl'));
    browser = await openBrowser(served.url);
    page = browser.page;
    await page.getByRole('button', { name: 'Open demo' }).click();
    await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
  });
  afterEach(() => guard.assertSafe());

  after(async () => {
    guard?.stop();
    await browser?.close();
    await served?.stop();
  });

  test('a node with a release on its other partition is rolled back through cordon, drain and reboot, and comes back on it uncordoned', async () => {
    // worker-2 of the demo runs 4757.2.0 and was updated from 4593.2.0, which its other USR partition still holds.
    const before = await row(page, 'worker-2');
    await openNode(page, 'worker-2');
    const previous = page.getByTestId('previous-version');
    await waitUntil('the USR partitions read', async () => /^previous: /.test((await previous.textContent()) ?? ''));
    const shown = /^previous: (\d+\.\d+\.\d+) \(other partition\)$/.exec(((await previous.textContent()) ?? '').trim());
    assert.ok(shown, (await previous.textContent()) ?? 'no previous-version text');
    const target = shown[1]!;
    assert.notEqual(target, before.version);

    await page.getByTestId('rollback').getByRole('button', { name: 'Roll back' }).click();
    const confirm = page.getByRole('dialog', { name: 'Roll back worker-2?' });
    await confirm.waitFor();
    assert.match((await confirm.textContent()) ?? '', new RegExp(`worker-2 goes back from ${before.version.replace(/\./g, '\\.')} to ${target.replace(/\./g, '\\.')}`));
    await shot(page, 'rollback-light');
    // the demo's shop runs a cache with emptyDir data and a bare pod, which the drain may have to delete
    await allowDrainDeletes(confirm);
    await watchActiveStages(page);
    await confirm.getByRole('button', { name: 'Roll back' }).click();
    await confirm.waitFor({ state: 'hidden' });

    await rebootRunShown(page, 'worker-2 rolled back and uncordoned', 'skipped');
    assert.equal(await page.getByTestId('previous-version').count(), 0, 'the partitions read before the run are not shown during it');
    await shot(page, 'rollback-progression-light');

    await waitUntil('worker-2 on the previous release in the table, uncordoned', async () => {
      const now = await row(page, 'worker-2');
      return now.version === target && now.cordoned === 'no' && now;
    }, 60_000);
    // Its other partition now holds the release it came from, unless its update-engine (running on worker-2) has
    // already downloaded the channel's newest again, as the confirmation warned: then that update shows as staged.
    await openNode(page, 'worker-2');
    const newest = DEFAULT_RELEASES.stable.version;
    let shownNow = '';
    await waitUntil('the swapped partitions', async () => {
      shownNow = ((await page.getByTestId('rollback').textContent()) ?? '').trim();
      return shownNow.startsWith(`previous: ${before.version} (other partition)`) || shownNow.startsWith(`an update to ${newest} is staged on the other partition`);
    }, 60_000).catch((err: Error) => assert.fail(`${err.message}; the panel says: ${shownNow}`));
  });

  test('a node moved to another channel shows the no-downgrade rule first, and its next update takes the newest release there', async () => {
    // worker-1 runs 4459.2.1 on stable; beta's newest release is newer, so it moves there at its next update.
    const before = await row(page, 'worker-1');
    assert.equal(before.channel, 'stable');
    await openNode(page, 'worker-1');
    const panel = page.getByTestId('channel');
    assert.match((await panel.textContent()) ?? '', /Channel: stable/);
    await panel.getByRole('combobox', { name: 'Move to channel' }).selectOption('beta');
    await panel.getByRole('button', { name: 'Change channel' }).click();
    const confirm = page.getByRole('dialog', { name: 'Move worker-1 to beta?' });
    await confirm.waitFor();
    const effect = ((await confirm.getByTestId('channel-effect').textContent()) ?? '').trim();
    const moves = /^worker-1 moves to (\d+\.\d+\.\d+), the newest release of that channel, at its next update/.exec(effect);
    assert.ok(moves, effect);
    const newest = moves[1]!;
    assert.match((await confirm.textContent()) ?? '', /GROUP= is written into \/etc\/flatcar\/update\.conf .*Nothing reboots now\./);
    await shot(page, 'channel-light');
    await confirm.getByRole('button', { name: 'Change channel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await waitUntil('the Channel line', async () => ((await panel.textContent()) ?? '').includes('Channel: beta'), 30_000);
    // Nothing rebooted and nothing was installed: the node still runs its stable release, and the table shows the
    // channel update_engine now asks for (GROUP, read over SSH), not the release's.
    await waitUntil('worker-1 on beta in the table, still on its release', async () => {
      const now = await row(page, 'worker-1');
      return now.version === before.version && now.channel === 'beta';
    }, 30_000, 1_000).catch(async (err: Error) => assert.fail(`${err.message}; the row: ${JSON.stringify(await row(page, 'worker-1'))}`));

    await openNode(page, 'worker-1');
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    const update = page.getByRole('dialog', { name: 'Update worker-1?' });
    await update.waitFor();
    await allowDrainDeletes(update);
    await update.getByRole('button', { name: 'Update worker-1' }).click();
    await update.waitFor({ state: 'hidden' });
    await runEnded(page, 'worker-1 updated');
    const after = await waitUntil('worker-1 on beta in the table', async () => {
      const now = await row(page, 'worker-1');
      return now.version === newest && now;
    }, 60_000, 1_000);
    assert.deepEqual(after, { node: 'worker-1', version: newest, channel: 'beta', cordoned: 'no' });
  });

  test('a node moved to a channel whose newest release is older than its own shows that channel, and that the move waits for it', async () => {
    // worker-5 runs stable's newest, 4757.2.3; lts's newest, 4081.3.6, is older
    const before = await row(page, 'worker-5');
    await openNode(page, 'worker-5');
    const panel = page.getByTestId('channel');
    await panel.getByRole('combobox', { name: 'Move to channel' }).selectOption('lts');
    await panel.getByRole('button', { name: 'Change channel' }).click();
    const confirm = page.getByRole('dialog', { name: 'Move worker-5 to lts?' });
    await confirm.getByRole('button', { name: 'Change channel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    const waits = page.getByTestId('channel-waits');
    await waits.waitFor({ timeout: 30_000 });
    assert.equal(
      (await waits.textContent())?.trim(),
      `takes effect when lts catches up: its newest release, ${DEFAULT_RELEASES.lts.version}, is older than ${before.version}, which the node runs`,
    );
    assert.equal(await page.getByTestId('node-channel').textContent(), 'lts');
    const now = await row(page, 'worker-5');
    assert.deepEqual(now, { ...before, channel: 'lts' });
    assert.equal(await page.locator('tbody tr[data-node="worker-5"] td[data-waits="true"]').count(), 1, 'the table marks the waiting channel');
  });

  test('the Ubuntu node is listed as Ubuntu needing a reboot, is rebooted from its page through cordon, drain and reboot, and needs none after', async () => {
    // worker-6 of the demo is an Ubuntu 22.04 worker whose new kernel asked for a reboot (/var/run/reboot-required)
    await go(page, 'Nodes');
    const tr = page.locator('tbody tr[data-node="worker-6"]');
    const cells = async () => tr.locator('td').evaluateAll((tds) => tds.map((td) => (td.textContent ?? '').trim()));
    const listed = await waitUntil('worker-6 read over SSH', async () => {
      const now = await cells();
      return now[7] === 'Reboot needed' && now;
    }, 60_000).catch(async (err: Error) => assert.fail(`${err.message}; the row: ${(await cells()).join(' | ')}`));
    assert.equal(listed[3], 'Ubuntu 22.04.5 LTS');
    assert.equal(listed[13], 'Reboot pending');
    assert.ok(!listed.includes('Not Flatcar'), listed.join(' | '));

    await openNode(page, 'worker-6');
    assert.equal(await page.getByTestId('node-state').textContent(), 'Reboot needed');
    const ubuntu = page.getByTestId('ubuntu-reboot');
    await ubuntu.getByTestId('reboot-required').filter({ hasText: 'reboot required (2 packages)' }).waitFor({ timeout: 30_000 });
    assert.equal(await ubuntu.getByTestId('reboot-packages').textContent(), 'linux-image-5.15.0-127-generic, linux-base');
    const migrate = page.getByRole('region', { name: 'Migrate to Flatcar' });
    assert.match((await migrate.textContent()) ?? '', /Ubuntu is no longer supported for worker nodes/);
    assert.match((await migrate.getByTestId('migrate-change').textContent()) ?? '', /operatingSystem: flatcar/);
    assert.equal(await migrate.getByRole('link', { name: /Flatcar in Kubermatic machine-controller/ }).getAttribute('target'), '_blank');
    await shot(page, 'ubuntu-light');

    await ubuntu.getByRole('button', { name: 'Reboot' }).click();
    const confirm = page.getByRole('dialog', { name: 'Reboot worker-6?' });
    await confirm.waitFor();
    assert.match((await confirm.textContent()) ?? '', /worker-6 is rebooted for linux-image-5\.15\.0-127-generic, linux-base: lock, cordon, drain, systemctl reboot/);
    await allowDrainDeletes(confirm);
    await watchActiveStages(page);
    await confirm.getByRole('button', { name: 'Reboot' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await rebootRunShown(page, 'worker-6 rebooted and uncordoned', 'none');

    await ubuntu.getByTestId('reboot-required').filter({ hasText: 'no reboot required' }).waitFor({ timeout: 60_000 });
    assert.equal(await ubuntu.getByRole('button', { name: 'Reboot' }).count(), 0, 'nothing left to reboot for');
    await go(page, 'Nodes');
    await waitUntil('worker-6 needs no reboot in the table, uncordoned', async () => {
      const now = await cells();
      return now[7] === 'Idle' && now[10] === 'no' && now[13] === '' && now;
    }, 60_000).catch(async (err: Error) => assert.fail(`${err.message}; the row: ${(await cells()).join(' | ')}`));
  });

  test('a rollout to a version the release feed does not list is refused with a clear message before anything changes', async () => {
    const before = await tableRows(page);
    await page.getByRole('checkbox', { name: 'Select all shown nodes' }).check();
    // the Flatcar nodes: worker-6 runs Ubuntu
    await page.getByRole('checkbox', { name: 'Select worker-6' }).uncheck();
    await page.getByRole('button', { name: 'Update selected (5)' }).click();
    await page.getByRole('combobox', { name: /^Target version/ }).fill('9999.9.9');
    const startButton = page.getByRole('button', { name: /^Update \d+ nodes…$/ });
    await waitUntil('no run active', () => startButton.isEnabled(), 60_000).catch(async (err: Error) =>
      assert.fail(`${err.message}; runs: ${await page.locator('section[data-run]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-status')} ${(e.textContent ?? '').slice(0, 300)}`).join(' || '))}`),
    );
    await page.getByRole('button', { name: /^Update \d+ nodes…$/ }).click();
    const start = page.getByRole('dialog', { name: 'Start the rollout?' });
    await start.waitFor();
    const plan = await start.getByTestId('rollout-plan').locator('tbody tr td:nth-child(2)').allTextContents();
    assert.ok(plan.length > 0 && plan.every((cell) => / ⇾ 9999\.9\.9$/.test(cell.trim())), `the plan names the target version: ${plan.join(' | ')}`);
    const runsBefore = await page.locator('section[data-run]').count();
    await start.getByRole('button', { name: 'Start rollout' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: '9999.9.9' });
    await refusal.waitFor({ timeout: 30_000 });
    assert.match((await refusal.textContent()) ?? '', /^Flatcar 9999\.9\.9 is not a release: the release feed at \S+ does not list it on any channel; nothing was changed$/);
    await shot(page, 'to-version-refused-light');
    assert.equal(await page.locator('section[data-run]').count(), runsBefore, 'no run started');
    await page.waitForTimeout(3_000);
    assert.deepEqual(await tableRows(page), before, 'no node changed');
  });

  test('no page errors and no CSP violations', () => {
    assert.deepEqual(browser.errors, []);
  });
});
