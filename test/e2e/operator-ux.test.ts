// What an operator sees in browser mode on the demo (Chromium): which nodes are behind, navigation that
// survives Back/Forward/reload, the connection banner, the keyboard, German messages and an honest cancel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEFAULT_RELEASES } from '../../sim/fleet/release-server.ts';
import { closeDemo, demoInChromium, serveDemo, shot, waitUntil } from './harness.ts';
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
    ({ served, browser, page } = await demoInChromium({ FLATDECK_DEMO_TIME_SCALE: '0.1' }));
    await page.getByRole('button', { name: 'Open demo' }).click();
    await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
  });

  after(() => closeDemo(browser, served));

  test('before any update, each node shows the newest release of its channel and whether it is behind', async () => {
    await go(page, 'Nodes');
    // worker-6 runs Ubuntu: no channel, no Flatcar release
    const rows = await waitUntil('the release feed read', async () => {
      const now = (await tableRows(page)).filter((r) => r.node !== 'worker-6');
      return now.every((r) => /^\d+\.\d+\.\d+$/.test(r.available)) && now;
    });
    assert.equal(rows.length, 5);
    assert.deepEqual((await tableRows(page)).find((r) => r.node === 'worker-6'), { node: 'worker-6', version: 'Ubuntu 22.04.5 LTS', channel: '–', available: '?', behind: '–' });
    for (const row of rows) {
      const newest = DEFAULT_RELEASES[row.channel as 'stable' | 'beta'].version;
      assert.equal(row.available, newest, `${row.node} on ${row.channel}`);
      assert.equal(row.behind, older(row.version, newest) ? 'behind' : 'current', `${row.node} runs ${row.version}`);
    }
    assert.ok(rows.some((r) => r.behind === 'behind') && rows.some((r) => r.behind === 'current'), JSON.stringify(rows));
    await waitUntil('update states read over SSH', async () => !(await page.locator('tbody').textContent())?.includes('Not read yet'));
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

  test('the node table sizes each column to what it holds: nothing cut off, no column wider than its content, at 1440×900 and 1280×800, in English and German', async (t) => {
    t.after(async () => {
      await page.setViewportSize({ width: 1400, height: 900 });
      const sprache = page.getByRole('combobox', { name: 'Sprache' });
      if (await sprache.count()) await sprache.selectOption('en');
    });
    await go(page, 'Nodes');
    await waitUntil('update states read over SSH', async () => !(await page.locator('tbody').textContent())?.includes('Not read yet'));
    // (A string: tsx would wrap a named function for the page in a helper the page does not have.)
    const measure = `(() => {
      const table = document.querySelector('.scroller table');
      const width = (el) => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect().width; };
      const heads = [...table.querySelectorAll('thead th')];
      const rows = [...table.querySelectorAll('tbody tr[data-node]')];
      const cut = [];
      for (const row of rows) for (const [i, td] of [...row.children].entries()) {
        for (const el of [td, ...td.querySelectorAll('button')]) if (el.scrollWidth > el.clientWidth + 1) cut.push(row.dataset.node + ' / ' + heads[i].textContent.trim() + ': ' + td.textContent.trim());
      }
      const slack = heads.slice(0, -1).flatMap((th, i) => {
        if (th.classList.contains('sel') || th.classList.contains('c-download')) return [];
        const pad = parseFloat(getComputedStyle(th).paddingLeft) + parseFloat(getComputedStyle(th).paddingRight);
        const content = Math.max(width(th.querySelector('button')), ...rows.map((r) => width(r.children[i])));
        return [[th.textContent.trim(), Math.round(th.clientWidth - pad - content)]];
      });
      const scroller = table.parentElement;
      return { cut, wide: slack.filter(([, s]) => s > 16), overflow: scroller.scrollWidth - scroller.clientWidth, state: rows.map((r) => r.children[7].textContent.trim()) };
    })()`;
    type Fit = { cut: string[]; wide: Array<[string, number]>; overflow: number; state: string[] };
    for (const lang of ['en', 'de'] as const) {
      if (lang === 'de') await page.getByRole('combobox', { name: 'Language' }).selectOption('de');
      for (const [width, height] of [
        [1440, 900],
        [1280, 800],
      ] as const) {
        await page.setViewportSize({ width, height });
        let fit: Fit | null = null;
        await waitUntil(`columns fitted at ${width}×${height} (${lang})`, async () => {
          fit = (await page.evaluate(measure)) as Fit;
          return fit.cut.length === 0 && fit.wide.length === 0 && fit.overflow <= 1;
        }, 5_000).catch(() => undefined);
        const seen = fit as Fit | null;
        assert.ok(seen, 'measured');
        assert.deepEqual(seen.cut, [], `nothing cut off at ${width}×${height} (${lang})`);
        assert.deepEqual(seen.wide, [], `no column wider than its content at ${width}×${height} (${lang})`);
        assert.ok(seen.overflow <= 1, `no sideways scrolling at ${width}×${height} (${lang}): ${seen.overflow}px`);
        assert.ok(seen.state.some((s) => /^(update-engine off|update-engine aus)$/.test(s)), `the update state is there in full: ${seen.state.join(', ')}`);
        await shot(page, `ux-nodes-columns-${width}-${lang}`);
      }
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

  test('a node is updated with the keyboard alone: / to search, Enter, arrows, u, Tab through the confirmation, focus back after', async () => {
    await go(page, 'Nodes');
    await page.locator('tbody tr[data-node]').first().waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const focusedName = () =>
      page.evaluate(`(() => {
        const el = document.activeElement;
        return el ? el.tagName.toLowerCase() + ':' + (el.getAttribute('aria-label') ?? el.textContent?.trim() ?? '') : '';
      })()`) as Promise<string>;

    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    assert.match((await help.textContent()) ?? '', /Update the node \(asks first\)/);
    await shot(page, 'ux-shortcuts-light');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    await page.keyboard.press('/');
    assert.equal(await focusedName(), 'input:Search name or address');
    await page.keyboard.type('worker');
    await page.keyboard.press('Enter');
    assert.equal(await focusedName(), 'div:Node table');
    // The cursor starts on the first match; the arrows move it, and its outline is visible.
    const active = () => page.locator('tbody tr.active').getAttribute('data-node');
    assert.equal(await active(), 'worker-1');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    assert.equal(await active(), 'worker-2');
    // the demo's row count comes from the table, not from here
    const names = await page.locator('tbody tr[data-node]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node')));
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowUp');
    assert.equal(await active(), names.at(-2));
    const ring = await page.locator('tbody tr.active td').first().evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).boxShadow ?? 'none');
    assert.notEqual(ring, 'none', 'the active row is outlined');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    assert.equal(await active(), 'worker-2');
    await shot(page, 'ux-keyboard-table-light');

    // u: the node's confirmation, focus inside it; Tab stays inside (trapped).
    await page.keyboard.press('u');
    const confirm = page.getByRole('dialog', { name: 'Update worker-2?' });
    await confirm.waitFor();
    assert.ok(await confirm.evaluate((d) => d.contains(d.ownerDocument.activeElement)), 'focus moved into the dialog');
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      assert.ok(await confirm.evaluate((d) => d.contains(d.ownerDocument.activeElement)), `Tab ${i + 1} left the dialog`);
    }
    // Drain settings by keyboard: the demo puts pods with emptyDir data or without a controller on random nodes.
    for (const field of ['Pods with emptyDir data', 'Pods without controller']) {
      await confirm.getByRole('combobox', { name: field }).focus();
      await page.keyboard.press('ArrowDown');
      assert.equal(await confirm.getByRole('combobox', { name: field }).inputValue(), 'delete');
    }
    let tabs = 0;
    while ((await focusedName()) !== 'button:Update worker-2' && tabs++ < 20) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'hidden' });
    // The Update button turns into a disabled "Updating…": focus goes to the node's heading, not to the page.
    assert.equal(await focusedName(), 'h1:worker-2', 'focus went to the node heading');

    await waitUntil(
      'worker-2 updated and uncordoned',
      async () => {
        const statuses = await page.locator('[data-stage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
        assert.ok(!statuses.includes('failed'), statuses.join(', '));
        return statuses.length > 0 && statuses.every((st) => st === 'done');
      },
      300_000,
      250,
    );
    await go(page, 'Nodes');
    await waitUntil('worker-2 current in the table', async () => (await page.locator('tbody tr[data-node="worker-2"] [data-currency]').getAttribute('data-currency')) === 'current');
  });

  test('in German, a pre-flight blocker is worded in German from its code, not passed through in English', async (t) => {
    t.after(async () => {
      const sprache = page.getByRole('combobox', { name: 'Sprache' });
      if (await sprache.count()) await sprache.selectOption('en');
    });
    await page.getByRole('combobox', { name: 'Language' }).selectOption('de');
    let blocked: string | null = null;
    for (const node of ['worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5']) {
      await page.getByRole('navigation', { name: 'Bereiche' }).getByRole('button', { name: 'Knoten', exact: true }).click();
      await page.getByRole('button', { name: node, exact: true }).click();
      await page.getByRole('heading', { name: node, level: 1 }).waitFor();
      const check = page.getByRole('button', { name: 'Vorabprüfung starten' });
      if (await check.isDisabled()) continue;
      await check.click();
      const report = page.getByRole('region', { name: 'Vorabprüfung' });
      await report.waitFor({ timeout: 60_000 });
      if ((await report.getByText('Blockiert', { exact: true }).count()) === 0) continue;
      blocked = node;
      const texts = await report.getByTestId('blocker-text').allTextContents();
      assert.ok(texts.length > 0, 'the blockers are worded from their codes');
      for (const text of texts) assert.match(text, /^Pod \S+\/\S+ (hält Daten in emptyDir|hat keinen Controller)/, text);
      const all = (await report.textContent()) ?? '';
      // blockers and what the update does about its findings (locksmithd held, SERVER= lifted), all from codes
      assert.doesNotMatch(all, /uses emptyDir storage|declares no controller|Pre-flight failed|would reboot the node without a drain|stops every update check/);
      await shot(page, 'ux-preflight-de');
      break;
    }
    assert.ok(blocked, 'the demo workload puts a pod with emptyDir data or without controller on some node');
  });

  test('in German, a node detail during an update words each pipeline step in German, none in English', async (t) => {
    t.after(async () => {
      const sprache = page.getByRole('combobox', { name: 'Sprache' });
      if (await sprache.count()) await sprache.selectOption('en');
    });
    await page.getByRole('combobox', { name: 'Language' }).selectOption('de');
    await page.getByRole('navigation', { name: 'Bereiche' }).getByRole('button', { name: 'Knoten', exact: true }).click();
    await page.getByRole('button', { name: 'worker-1', exact: true }).click();
    await page.getByRole('heading', { name: 'worker-1', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Aktualisieren', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'worker-1 aktualisieren?' });
    await confirm.waitFor();
    // the demo puts pods with emptyDir data or without a controller on random nodes
    await confirm.getByRole('combobox', { name: 'Pods mit emptyDir-Daten' }).selectOption('delete');
    await confirm.getByRole('combobox', { name: 'Pods ohne Controller' }).selectOption('delete');
    // every text the step line shows, recorded in the page: a poll from here misses the short steps under load
    await page.evaluate(`{
      const shown = (window.__stepTexts = []);
      const note = () => {
        const el = document.querySelector('[data-testid="step-message"]');
        const text = (el?.textContent ?? '').replace(/\\s+/g, ' ').trim();
        if (text && shown[shown.length - 1] !== text) shown.push(text);
      };
      new MutationObserver(note).observe(document.body, { characterData: true, subtree: true, childList: true });
    }`);
    await confirm.getByRole('button', { name: 'worker-1 aktualisieren' }).click();
    await confirm.waitFor({ state: 'hidden' });

    const seen = new Set<string>();
    const line = page.getByTestId('step-message');
    await waitUntil(
      'worker-1 updated',
      async () => {
        if (await line.count()) seen.add(((await line.textContent()) ?? '').replace(/\s+/g, ' ').trim());
        const statuses = await page.locator('[data-stage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
        assert.ok(!statuses.includes('failed'), `${statuses.join(', ')} | ${[...seen].join(' | ')}`);
        return statuses.length > 0 && statuses.every((st) => st === 'done');
      },
      300_000,
      100,
    );
    const texts = [...new Set([...seen, ...((await page.evaluate('window.__stepTexts')) as string[])])];
    // the steps an update spends its time in (a finished step's text is replaced within moments)
    const german = [/Update-Sperre des Clusters/, /Lade \S+ herunter: \d+ %/, /Räume worker-1 \(drain\)/, /Starte worker-1 neu/, /Warte, bis worker-1 wieder da ist/, /Gebe worker-1 wieder frei/];
    const missing = german.filter((re) => !texts.some((x) => re.test(x)));
    assert.ok(missing.length <= 1, `German step texts seen: ${texts.join(' | ')}`);
    const english = /Waiting for|Holding the cluster|Cordoning|cordoned\b|Draining|drained\b|Evicting|accepted for eviction|is gone|Rebooting|reboot issued|is back on|answers on SSH|Uncordoning|Downloading|Checking .* for a Flatcar update|Pre-flight checks|is ready for the update|lock released|Letting the cluster settle|Settled/;
    assert.deepEqual(texts.filter((x) => english.test(x)), [], 'no English pipeline sentence on a German screen');
  });

  test('cancel mid-rollout: a confirmation per node, a cancelling state, honest final counts and a reason per skipped node', async () => {
    await go(page, 'Nodes');
    await page.locator('tbody tr[data-node]').first().waitFor();
    await page.getByRole('checkbox', { name: 'Select all shown nodes' }).check();
    // the Flatcar nodes: worker-6 runs Ubuntu
    await page.getByRole('checkbox', { name: 'Select worker-6' }).uncheck();
    await page.getByRole('button', { name: 'Update selected (5)' }).click();
    await page.getByRole('spinbutton', { name: 'Settle delay between nodes (seconds)' }).fill('1');
    await page.getByRole('combobox', { name: 'Pods with emptyDir data' }).selectOption('delete');
    await page.getByRole('combobox', { name: 'Pods without controller' }).selectOption('delete');
    // enabled once no run is active: the previous case's update may still be settling
    await page.getByRole('button', { name: 'Update 5 nodes…' }).click({ timeout: 180_000 });
    const start = page.getByRole('dialog', { name: 'Start the rollout?' });
    await start.waitFor();
    const plan = await start
      .getByTestId('rollout-plan')
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim()).join(' | ')));
    assert.equal(plan.length, 5, plan.join('\n'));
    for (const row of plan) assert.match(row, /^worker-\d \| \d+\.\d+\.\d+ ⇾ \d+\.\d+\.\d+ \| (behind|current)$/);
    assert.match((await start.textContent()) ?? '', /Pods with emptyDir data: Delete them\. Pods without controller: Delete them\./);
    await start.getByRole('button', { name: 'Start rollout' }).click();

    const run = page.locator('section[data-run]').filter({ has: page.locator('tr[data-node="worker-5"]') }).first();
    await run.waitFor();
    await waitUntil('no second run while one is active', () => page.getByRole('button', { name: /^Update \d+ nodes…$/ }).isDisabled(), 5_000);
    // Cancel once a node is being drained/rebooted or has its update staged: the interesting moment.
    await waitUntil(
      'a node past its download',
      async () => (await run.locator('tr[data-phase="active"], tr[data-phase="ready-to-reboot"]').count()) > 0,
      240_000,
      100,
    );
    await run.getByRole('button', { name: 'Cancel rollout' }).click();
    const confirm = page.getByRole('dialog', { name: 'Cancel this run?' });
    await confirm.waitFor();
    const effects = await confirm.getByTestId('cancel-effects').locator('li').allTextContents();
    assert.equal(effects.length, 5, effects.join(' | '));
    for (const line of effects) assert.match(line, /^worker-\d: \S.+\.$/, line);
    assert.ok(effects.some((l) => /is not started|stays updated|keeps .* staged|stops after|is rebooting|download stops/.test(l)), effects.join(' | '));
    await shot(page, 'ux-cancel-confirm-light');
    // Every status the panel shows from here on, however briefly.
    // (A string: tsx would wrap a named function for the page in a helper the page does not have.)
    await page.evaluate(`{
      const section = [...document.querySelectorAll('section[data-run]')].find((el) => el.querySelector('tr[data-node="worker-5"]'));
      const seen = (window.__runStatuses = []);
      new MutationObserver(() => {
        const badge = section.querySelector('[data-testid="run-status"]');
        seen.push(section.getAttribute('data-status') + '|' + (badge ? badge.textContent : ''));
      }).observe(section, { attributes: true, subtree: true, characterData: true, childList: true });
    }`);
    await confirm.getByRole('button', { name: 'Cancel the run' }).click();
    if ((await run.getAttribute('data-status')) === 'cancelling') await shot(page, 'ux-cancelling-light');
    await waitUntil('the run to end', async () => (await run.getAttribute('data-status')) === 'cancelled', 300_000, 250);
    const statuses = (await page.evaluate('window.__runStatuses')) as string[];
    assert.ok(statuses.includes('cancelling|Cancelling…'), `shown "Cancelling…" before the end: ${[...new Set(statuses)].join(', ')}`);

    const phases: Record<string, string> = Object.fromEntries(
      await run.locator('tr[data-node]').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-node') ?? '', r.getAttribute('data-phase') ?? ''])),
    );
    const count = (...p: string[]) => Object.values(phases).filter((x) => p.includes(x)).length;
    const counts = (await run.getByTestId('run-counts').textContent())?.replace(/\s+/g, ' ').trim() ?? '';
    assert.match(counts, new RegExp(`^${count('done')} of 5 nodes? updated`), counts);
    if (count('skipped')) assert.match(counts, new RegExp(`${count('skipped')} skipped`), counts);
    if (count('failed')) assert.match(counts, new RegExp(`${count('failed')} failed`), counts);
    if (count('needs-attention')) assert.match(counts, new RegExp(`${count('needs-attention')} needs? attention`), counts);
    assert.ok(count('skipped', 'failed', 'needs-attention') > 0, `the cancel left something undone: ${JSON.stringify(phases)}`);
    for (const [node, phase] of Object.entries(phases)) {
      if (!['skipped', 'failed', 'needs-attention'].includes(phase)) continue;
      const reason = (await run.locator(`tr[data-reason-for="${node}"]`).textContent())?.trim() ?? '';
      assert.ok(reason.length > 5, `${node} (${phase}) has a reason: "${reason}"`);
    }
    const bar = Number(await run.getByRole('progressbar', { name: 'Rollout progress' }).getAttribute('aria-valuenow'));
    assert.equal(bar, Math.round(((count('done') + count('current')) / 5) * 1000) / 10, 'the bar counts only updated and current nodes');
    await shot(page, 'ux-cancelled-light');

    await go(page, 'Activity');
    const log = page.getByRole('table', { name: 'Activity' });
    const cancelLine = log.locator('tr', { hasText: 'Cancel requested by' }).first();
    await cancelLine.waitFor();
    assert.match((await cancelLine.textContent()) ?? '', /Cancel requested by [^@\s]+@\S+/);
    assert.match((await log.textContent()) ?? '', /Run cancelled: \d+ updated, \d+ already current, \d+ skipped, \d+ failed/);
    await shot(page, 'ux-activity-light');
  });

  test('when the server goes away: a full-width banner, the data marked as of the last contact, and a fresh snapshot after the restart', async () => {
    await go(page, 'Nodes');
    await page.locator('tbody tr[data-node]').first().waitFor();
    const port = Number(new URL(served.url).port);
    const token = /#token=([0-9a-f]{64})$/.exec(served.url)?.[1] ?? '';
    const errorsBefore = browser.errors.length;
    // however many nodes the demo has: the restarted core must list the same ones
    const shown = await page.locator('tbody tr[data-node]').count();
    const lostAt = new Date();
    await served.kill();

    const banner = page.getByTestId('connection-banner');
    await banner.waitFor({ timeout: 15_000 });
    const text = (await banner.textContent()) ?? '';
    assert.match(text, /Connection to flatdeck lost\./);
    const asOf = /as of (\d{2}):(\d{2}):(\d{2})/.exec(text);
    assert.ok(asOf, text);
    const asOfSeconds = Number(asOf[1]) * 3600 + Number(asOf[2]) * 60 + Number(asOf[3]);
    const lostSeconds = lostAt.getHours() * 3600 + lostAt.getMinutes() * 60 + lostAt.getSeconds();
    assert.ok(Math.abs(lostSeconds - asOfSeconds) <= 30, `data as of ${asOf[0]}, server stopped at ${lostAt.toTimeString()}`);
    const width = await banner.evaluate((el) => [el.getBoundingClientRect().width, el.ownerDocument.documentElement.clientWidth]);
    assert.equal(width[0], width[1], 'the banner spans the window');
    assert.equal(await page.locator('main').evaluate((el) => el.classList.contains('stale')), true, 'the data is marked stale');
    // The backoff is visible, and never longer than its longest step (10 s).
    const countdown = await waitUntil('a countdown to the next attempt', async () => /Next attempt in (\d+) s/.exec((await banner.textContent()) ?? ''));
    assert.ok(Number(countdown[1]) <= 10, countdown[0]);
    await shot(page, 'ux-connection-lost-light');
    // Nothing reached the core while it was down, so a rows' worth of data must stay (stale, not blank).
    assert.ok((await page.locator('tbody tr[data-node]').count()) > 0);

    served = await serveDemo({ FLATDECK_DEMO_TIME_SCALE: '0.1', FLATDECK_SERVE_TOKEN: token }, { dataDir: served.dataDir, port });
    await banner.waitFor({ state: 'hidden', timeout: 60_000 });
    assert.equal(await page.locator('main').evaluate((el) => el.classList.contains('stale')), false);
    await page.getByRole('status').filter({ hasText: 'Connected to flatdeck' }).waitFor();
    // The restarted core is a new process: what the table shows now came from it (its snapshot after reconnect).
    await waitUntil('nodes from the restarted core', async () => (await page.locator('tbody tr[data-node]').count()) === shown);
    await waitUntil('update states read again over SSH', async () => {
      const states = await page.locator('tbody tr[data-node] td:nth-child(8)').allTextContents();
      return states.length === shown && states.every((s) => s.trim() !== '' && !/Unknown/.test(s)) && states;
    });
    // The new core had no open cluster: the reconnected page asked it for the nodes, which connected the cluster again.
    await go(page, 'Activity');
    await waitUntil('a second "Cluster demo connected" in Activity', async () => {
      const text = (await page.getByRole('table', { name: 'Activity' }).textContent()) ?? '';
      return text.split('Cluster demo connected').length - 1 === 2;
    });
    // Chromium logs each failed reconnect attempt; those are expected while the server is down, nothing else is.
    const during = browser.errors.splice(errorsBefore);
    assert.deepEqual(
      during.filter((e) => !/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws' failed/.test(e)),
      [],
    );
  });

  test('no page errors and no CSP violations', () => {
    assert.deepEqual(browser.errors, []);
  });
});
