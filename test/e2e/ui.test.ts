import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { closeDemo, demoInChromium, openBrowser, shot, waitUntil } from './harness.ts';
import type { Browser, Served } from './harness.ts';

const versionPattern = /Flatcar (\d+\.\d+\.\d+)/;
const stageOrder = [
  'UPDATE_STATUS_IDLE',
  'UPDATE_STATUS_CHECKING_FOR_UPDATE',
  'UPDATE_STATUS_UPDATE_AVAILABLE',
  'UPDATE_STATUS_DOWNLOADING',
  'UPDATE_STATUS_FINALIZING',
  'UPDATE_STATUS_UPDATED_NEED_REBOOT',
  'cordon',
  'drain',
  'reboot',
  'verify',
  'uncordon',
];

/** OpenSSH's fingerprint of a known_hosts key: SHA256 of the key blob, unpadded base64. */
function fingerprint(base64Key: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(base64Key, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

async function go(page: Page, section: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: section, exact: true }).click();
}

async function rowOf(page: Page, node: string) {
  await go(page, 'Nodes');
  const row = page.locator(`tbody tr[data-node="${node}"]`);
  await row.waitFor();
  return row;
}

async function stages(page: Page): Promise<Array<{ key: string; status: string }>> {
  return page.locator('[data-stage]').evaluateAll((els) => els.map((e) => ({ key: e.getAttribute('data-stage') ?? '', status: e.getAttribute('data-status') ?? '' })));
}

describe('flatdeck UI in Chromium, browser mode, on the demo cluster', { timeout: 900_000 }, () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  const knownHosts: Record<string, string> = {};

  before(async () => {
    ({ served, browser, page } = await demoInChromium({ FLATDECK_DEMO_TIME_SCALE: '0.1' }));
  });

  after(() => closeDemo(browser, served));

  test('the page moves the token out of the address bar and connects over the WebSocket', async () => {
    await page.getByRole('status').filter({ hasText: 'Connected to flatdeck' }).waitFor();
    assert.ok(!page.url().includes('token='), `token still in ${page.url()}`);
    await page.getByRole('heading', { name: 'Clusters' }).waitFor();
    await shot(page, 'clusters-light');
  });

  test('an unknown host key asks for the SHA256 fingerprint before flatdeck connects', async () => {
    // Forget worker-5's key and give worker-3 the wrong key, before the UI first connects to the nodes.
    const file = join(served.dataDir, 'demo-cluster', 'known_hosts');
    for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
      const [host, , key] = line.split(' ');
      if (host && key) knownHosts[host.replace(/^\[|\]:\d+$/g, '')] = key;
    }
    const kept = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('[127.10.0.5]'))
      .map((l) => (l.startsWith('[127.10.0.3]') ? l.replace(knownHosts['127.10.0.3']!, knownHosts['127.10.0.2']!) : l));
    writeFileSync(file, kept.join('\n') + '\n');

    await page.getByRole('button', { name: 'Open demo' }).click();
    const dialog = page.getByRole('dialog', { name: 'Unknown host key' });
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /127\.10\.0\.5/);
    assert.equal(await dialog.getByTestId('fingerprint').textContent(), fingerprint(knownHosts['127.10.0.5']!));
    await shot(page, 'dialog-host-key-light');
    await dialog.getByRole('button', { name: 'Trust and connect' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitUntil('worker-5 recorded in known_hosts again', async () => readFileSync(file, 'utf8').includes(knownHosts['127.10.0.5']!));
  });

  test('opening the demo cluster lists its nodes with their Flatcar versions and update state', async () => {
    await go(page, 'Nodes');
    const rows = page.locator('tbody tr[data-node]');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 6);
    // five Flatcar nodes and worker-6, an Ubuntu worker not migrated yet
    const os = (await rows.locator('td:nth-child(4)').allTextContents()).map((text) => (versionPattern.test(text) ? 'Flatcar' : text.trim()));
    assert.deepEqual(os, ['Flatcar', 'Flatcar', 'Flatcar', 'Flatcar', 'Flatcar', 'Ubuntu 22.04.5 LTS']);
    // The update state comes from update_engine (or its unit) read over SSH, not a placeholder; the Ubuntu
    // node's from its /var/run/reboot-required.
    const states = await waitUntil('update states read over SSH', async () => {
      const texts = await rows.locator('td:nth-child(8)').allTextContents();
      return texts.filter((s) => /Idle|update-engine off/.test(s)).length === 4 && texts[5] === 'Reboot needed' && texts;
    });
    assert.equal(states.length, 6);
    const worker3 = page.locator('tbody tr[data-node="worker-3"]');
    assert.match((await worker3.textContent()) ?? '', /SSH error/, 'the node with the wrong key needs attention');
    await shot(page, 'nodes-light');
  });

  test('a changed host key is refused and both fingerprints are shown', async () => {
    await page.getByRole('button', { name: 'worker-3', exact: true }).click();
    await page.getByRole('button', { name: 'Run pre-flight' }).click();
    const dialog = page.getByRole('dialog', { name: 'Host key changed: connection refused' });
    await dialog.waitFor();
    const text = (await dialog.textContent()) ?? '';
    assert.ok(text.includes(fingerprint(knownHosts['127.10.0.2']!)), 'the recorded (wrong) key');
    assert.ok(text.includes(fingerprint(knownHosts['127.10.0.3']!)), "the node's real key");
    await shot(page, 'dialog-host-key-changed-light');
    await dialog.getByRole('button', { name: 'Understood' }).click();
  });

  test('the overview charts versions and update states of the same nodes', async () => {
    await go(page, 'Fleet overview');
    const versions = page.getByRole('table', { name: 'Versions (Flatcar version · channel)' });
    const counts = (await versions.locator('td.num').allTextContents()).map(Number);
    // every node once: the five Flatcar nodes by version, worker-6 as Ubuntu
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      6,
    );
    await shot(page, 'overview-light');
  });

  test('Update on one node shows the states in order, a moving progress bar, and ends on the new version, uncordoned', async () => {
    const before = versionPattern.exec((await (await rowOf(page, 'worker-1')).textContent()) ?? '')?.[1];
    await page.getByRole('button', { name: 'worker-1', exact: true }).click();
    await page.getByRole('button', { name: 'Update', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Update worker-1?' });
    await confirm.waitFor();
    const plan = (await confirm.textContent()) ?? '';
    for (const step of ['sudo update_engine_client -check_for_update', 'Cordon worker-1', 'Drain worker-1', 'sudo systemctl reboot', 'Uncordon worker-1']) {
      assert.ok(plan.includes(step), `the confirmation says "${step}"`);
    }
    // The simulator places pods with emptyDir data or without a controller on random nodes; allow draining them.
    await confirm.getByRole('combobox', { name: 'Pods with emptyDir data' }).selectOption('delete');
    await confirm.getByRole('combobox', { name: 'Pods without controller' }).selectOption('delete');
    await shot(page, 'dialog-update-confirm-light');
    await confirm.getByRole('button', { name: 'Update worker-1' }).click();

    const seenActive: string[] = [];
    const progress: number[] = [];
    let shotDownloading = false;
    await waitUntil(
      'every stage of worker-1 done',
      async () => {
        const now = await stages(page);
        const active = now.find((s) => s.status === 'active')?.key;
        if (active && seenActive.at(-1) !== active) seenActive.push(active);
        const bar = page.getByRole('progressbar', { name: 'Download progress' });
        const raw = (await bar.count()) ? await bar.getAttribute('aria-valuenow', { timeout: 500 }).catch(() => null) : null;
        if (raw !== null) {
          const value = Number(raw);
          if (progress.at(-1) !== value) progress.push(value);
          if (!shotDownloading && value > 30) {
            shotDownloading = true;
            await shot(page, 'node-detail-downloading-light');
          }
        }
        assert.ok(!now.some((s) => s.status === 'failed'), `a stage failed: ${JSON.stringify(now)}`);
        return now.length === stageOrder.length && now.every((s) => s.status === 'done');
      },
      240_000,
      100,
    );
    const order = seenActive.map((k) => stageOrder.indexOf(k));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `stages went backwards: ${seenActive.join(' → ')}`);
    assert.ok(seenActive.includes('UPDATE_STATUS_DOWNLOADING'), seenActive.join(' → '));
    assert.ok(seenActive.some((k) => ['drain', 'verify'].includes(k)), seenActive.join(' → '));
    const moving = progress.filter((v) => v > 0 && v < 100);
    assert.ok(moving.length >= 3, `the download bar moved: ${progress.join(', ')}`);
    assert.deepEqual(moving, [...moving].sort((a, b) => a - b));

    const terminal = (await page.getByRole('log', { name: 'SSH commands' }).textContent()) ?? '';
    for (const cmd of ['$ grep VERSION_ID /etc/os-release', 'systemctl unmask update-engine.service', 'update_engine_client -check_for_update', 'systemctl reboot']) {
      assert.ok(terminal.includes(cmd), `terminal shows ${cmd}`);
    }
    const target = /Back on (\d+\.\d+\.\d+)/.exec((await page.locator('[data-stage="verify"]').textContent()) ?? '')?.[1];
    assert.ok(target && target !== before, `new version ${target} differs from ${before}`);
    await shot(page, 'node-detail-done-light');

    const row = await rowOf(page, 'worker-1');
    await waitUntil('worker-1 on the new version and uncordoned in the table', async () => {
      const text = (await row.textContent()) ?? '';
      return text.includes(`Flatcar ${target}`) && (await row.locator('td:nth-child(11)').textContent()) === 'no';
    });
  });

  test('a 3-node rollout with pause and resume updates every node, one reboot at a time, and notifies', async () => {
    const nodes = ['worker-2', 'worker-4', 'worker-5'];
    await go(page, 'Nodes');
    // Which of them are behind their channel's newest release decides which ones a rollout updates.
    const behind = await waitUntil('the release feed read', async () => {
      const marks = await Promise.all(nodes.map((n) => page.locator(`tbody tr[data-node="${n}"] [data-currency]`).getAttribute('data-currency')));
      return marks.every((m) => m === 'behind' || m === 'current') && nodes.filter((_, i) => marks[i] === 'behind');
    });
    assert.ok(behind.length > 0, 'at least one of the three nodes is behind');
    for (const n of nodes) await page.getByRole('checkbox', { name: `Select ${n}` }).check();
    await page.getByRole('button', { name: 'Update selected (3)' }).click();
    await page.getByRole('radio', { name: 'Nodes selected in the table (3)' }).waitFor();
    assert.ok(await page.getByRole('radio', { name: 'Nodes selected in the table (3)' }).isChecked());
    await page.getByRole('spinbutton', { name: 'Settle delay between nodes (seconds)' }).fill('1');
    await page.getByRole('combobox', { name: 'Pods with emptyDir data' }).selectOption('delete');
    await page.getByRole('combobox', { name: 'Pods without controller' }).selectOption('delete');
    await shot(page, 'rollout-plan-light');
    // One run at a time: worker-1's update is still in its settle step.
    await waitUntil('the previous run to end', () => page.getByRole('button', { name: 'Update 3 nodes…' }).isEnabled(), 120_000);
    await page.getByRole('button', { name: 'Update 3 nodes…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Start the rollout?' });
    assert.match((await confirm.textContent()) ?? '', /These 3 nodes will be updated, one reboot at a time/);
    for (const n of nodes) assert.ok(await confirm.getByTestId('rollout-plan').locator(`tr[data-node="${n}"]`).count(), `the plan names ${n}`);
    await confirm.getByRole('button', { name: 'Start rollout' }).click();

    const run = page.locator('section[data-run]').filter({ has: page.locator('tr[data-node="worker-5"]') }).first();
    await run.waitFor();
    await run.getByRole('button', { name: 'Pause' }).click();
    await waitUntil('the run paused', async () => (await run.getAttribute('data-status')) === 'paused');
    await shot(page, 'rollout-paused-light');
    await run.getByRole('button', { name: 'Resume' }).click();
    await waitUntil('the run resumed', async () => (await run.getAttribute('data-status')) !== 'paused');

    const seenActive = new Set<string>();
    let tookShot = false;
    const final = await waitUntil(
      'the rollout to end',
      async () => {
        const phases = await run.locator('tr[data-node]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-phase')));
        const rebooting = phases.filter((p) => p === 'active').length;
        assert.ok(rebooting <= 1, `two nodes in cordon/drain/reboot at once: ${phases.join(', ')}`);
        if (rebooting) seenActive.add(String(phases.indexOf('active')));
        if (!tookShot && rebooting) {
          tookShot = true;
          await shot(page, 'rollout-running-light');
        }
        const status = await run.getAttribute('data-status');
        return ['succeeded', 'failed', 'cancelled'].includes(status ?? '') && status;
      },
      600_000,
      250,
    );
    assert.equal(final, 'succeeded', (await run.textContent()) ?? '');
    // A node whose channel has nothing newer ends "current" (already up to date) without a reboot.
    const phases = await run.locator('tr[data-node]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-phase')));
    assert.ok(
      phases.every((p) => p === 'done' || p === 'current'),
      phases.join(', '),
    );
    const updated = phases.filter((p) => p === 'done').length;
    const byNode = await run.locator('tr[data-node]').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-node'), r.getAttribute('data-phase')]));
    assert.deepEqual(
      byNode.filter(([, p]) => p === 'done').map(([n]) => n).sort(),
      [...behind].sort(),
      `exactly the nodes that were behind were updated: ${JSON.stringify(byNode)}`,
    );
    assert.equal(seenActive.size, updated, 'each updated node went through cordon/drain/reboot on its own');
    await shot(page, 'rollout-done-light');
    const notes = (await page.evaluate('window.__notifications')) as Array<{ title: string }>;
    assert.ok(
      notes.some((n) => n.title === 'Update finished on demo'),
      JSON.stringify(notes),
    );
  });

  test('the whole UI switches to German', async (t) => {
    t.after(async () => {
      if (await page.getByRole('combobox', { name: 'Sprache' }).count()) await page.getByRole('combobox', { name: 'Sprache' }).selectOption('en');
    });
    await page.getByRole('combobox', { name: 'Language' }).selectOption('de');
    await page.getByRole('heading', { name: 'Rollout', level: 1 }).waitFor();
    await page.getByRole('button', { name: '3 Knoten aktualisieren …' }).waitFor();
    await page.getByText('Erfolgreich').first().waitFor();
    await shot(page, 'rollout-de');
    await page.getByRole('navigation', { name: 'Bereiche' }).getByRole('button', { name: 'Knoten' }).click();
    await page.getByRole('columnheader', { name: 'Betriebssystem und Version' }).waitFor();
    await page.getByRole('button', { name: 'Update-Zustand per SSH lesen' }).waitFor();
    assert.equal(await page.evaluate('document.documentElement.lang'), 'de');
    await shot(page, 'nodes-de');
    await page.getByRole('button', { name: 'worker-1', exact: true }).click();
    await page.getByText('Drain (Knoten entleeren)').waitFor();
    await page.getByRole('button', { name: 'Aktualisieren', exact: true }).waitFor();
    await shot(page, 'node-detail-de');
    await page.getByRole('combobox', { name: 'Sprache' }).selectOption('en');
    await page.getByRole('heading', { name: 'worker-1' }).waitFor();
  });

  test('everything works from the keyboard, with a visible focus ring', async () => {
    await page.getByRole('navigation').getByRole('button', { name: 'Clusters' }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const focused = page.locator(':focus');
    assert.equal(await focused.textContent(), 'Nodes');
    const outline = await focused.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).outlineStyle ?? null);
    assert.ok(outline && outline !== 'none', `focus ring: ${outline}`);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Nodes' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search name or address' }).focus();
    await page.keyboard.type('worker-4');
    await waitUntil('the filter applied', async () => (await page.locator('tbody tr[data-node]').count()) === 1);
    await page.getByRole('button', { name: 'worker-4', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'worker-4' }).waitFor();
    await page.getByRole('button', { name: 'Update', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Update worker-4?' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Update worker-4?' }).waitFor({ state: 'hidden' });
  });

  test('activity, settings and auto-update views render what the core reports', async () => {
    await go(page, 'Activity');
    const log = page.getByRole('table', { name: 'Activity' });
    await waitUntil('activity entries', async () => (await log.locator('tbody tr').count()) > 2);
    assert.match((await log.textContent()) ?? '', /Cluster demo connected/);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    assert.match((await download).suggestedFilename(), /\.csv$/);
    await shot(page, 'activity-light');

    await go(page, 'Settings');
    await page.getByRole('textbox', { name: 'SSH user' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'SSH user' }).inputValue(), 'core');
    await shot(page, 'settings-light');

    await go(page, 'Auto-update');
    const toggle = page.getByRole('switch', { name: /Automatic updates/ });
    await toggle.waitFor();
    // The seed's nodes have update-engine masked, one of them not: off or mixed, never on.
    const initial = await toggle.getAttribute('aria-checked');
    assert.ok(initial === 'false' || initial === 'mixed', `initial state ${initial}`);
    // The demo's fleet (profile mixed) ends in stock nodes: update-engine and locksmithd running, no FLUO.
    const danger = page.getByTestId('reboots-without-drain');
    assert.match((await danger.textContent()) ?? '', /nodes? reboots? without a drain when an update arrives/);
    await shot(page, 'auto-update-light');
    await toggle.click();
    const plan = page.getByRole('dialog', { name: 'Plan: turn automatic updates on' });
    await plan.waitFor();
    assert.ok((await plan.locator('tbody tr').count()) > 0, 'the plan lists its changes before anything changes');
    await shot(page, 'dialog-auto-update-plan-light');
    await plan.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('heading', { name: 'Results' }).waitFor({ timeout: 120_000 });
    const results = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Result' }) });
    assert.ok((await results.locator('tbody tr').count()) > 0);
    await waitUntil('the cluster-wide state to follow', async () => (await toggle.getAttribute('aria-checked')) !== initial, 60_000);
    await danger.waitFor({ state: 'hidden' });
    await shot(page, 'auto-update-applied-light');
    // The demo cluster runs FLUO's pods as FLUO (sim/fluo): once on, its agents report update_engine on the nodes.
    await go(page, 'Nodes');
    await waitUntil("FLUO's agents reporting in the FLUO column", async () => (await page.locator('tbody tr[data-node] [data-testid="fluo-phase"][title^="UPDATE_STATUS_"]').count()) > 0, 60_000);
  });

  test('the theme follows the OS preference and can be overridden', async () => {
    const dark = await openBrowser(served.url, 'dark');
    try {
      const background = () => dark.page.evaluate('getComputedStyle(document.body).backgroundColor');
      assert.equal(await background(), 'rgb(15, 18, 23)');
      await dark.page.getByRole('button', { name: 'Open demo' }).click();
      await dark.page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
      await waitUntil('charts drawn', async () => (await dark.page.locator('td.num').count()) > 0);
      await shot(dark.page, 'overview-dark');
      await go(dark.page, 'Nodes');
      await dark.page.locator('tbody tr[data-node]').first().waitFor();
      await shot(dark.page, 'nodes-dark');
      await dark.page.getByRole('button', { name: 'worker-1', exact: true }).click();
      await dark.page.locator('[data-stage]').first().waitFor();
      await shot(dark.page, 'node-detail-dark');
      await go(dark.page, 'Rollout');
      await shot(dark.page, 'rollout-dark');
      await go(dark.page, 'Clusters');
      await shot(dark.page, 'clusters-dark');
      await dark.page.getByRole('combobox', { name: 'Theme' }).selectOption('light');
      assert.equal(await background(), 'rgb(246, 247, 249)');
      await dark.page.getByRole('combobox', { name: 'Theme' }).selectOption('system');
      assert.deepEqual(dark.errors, []);
    } finally {
      await dark.close();
    }
  });

  test('no page errors and no CSP violations', () => {
    assert.deepEqual(browser.errors, []);
  });
});
