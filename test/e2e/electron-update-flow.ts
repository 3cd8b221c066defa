// The operator's path to update one node of the demo cluster, shared by the Electron test
// (electron-demo-update.test.ts) and the browser-mode test (test/integration/serve-chromium.test.ts).
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { NodeSummary, PreflightReport, RolloutState } from '../../app/api/index.ts';

/** Calls the core the way the page itself does; the page decides the transport (bridge or WebSocket). */
export type CoreCall = (method: string, params: unknown) => Promise<{ error: unknown; result: unknown }>;

async function demoNodes(call: CoreCall): Promise<NodeSummary[]> {
  const answer = await call('nodes.list', { cluster: 'demo' });
  assert.equal(answer.error, null, `nodes.list failed: ${JSON.stringify(answer.error)}`);
  return answer.result as NodeSummary[];
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Opens the demo cluster, picks a Flatcar worker that is behind, clicks Update and confirms, then waits
 * until the node is back on a newer version, Ready and schedulable. Returns what changed.
 */
export async function updateOneDemoNode(page: Page, call: CoreCall, timeoutMs: number): Promise<{ node: string; from: string; to: string }> {
  await page.getByRole('button', { name: 'Open demo' }).click();
  await page.getByRole('navigation').getByRole('button', { name: 'Nodes', exact: true }).click();

  const before = await until('the demo nodes', 60_000, async () => {
    const nodes = await demoNodes(call);
    return nodes.some((n) => n.distribution === 'flatcar') ? nodes : null;
  });
  // The newest version in the fleet is what the release server offers; take a node that is older.
  const versions = before.map((n) => n.flatcarVersion).filter((v): v is string => v !== null);
  const newest = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
  // The demo deliberately contains nodes whose drain is blocked (an unmanaged pod): take one pre-flight clears.
  let target: NodeSummary | undefined;
  for (const node of before.filter((n) => n.distribution === 'flatcar' && n.flatcarVersion !== newest && n.ready === 'True')) {
    const preflight = await call('nodes.preflight', { cluster: 'demo', node: node.name });
    if ((preflight.result as PreflightReport | null)?.ok) {
      target = node;
      break;
    }
  }
  assert.ok(target?.flatcarVersion, `no outdated Flatcar node that passes pre-flight: ${JSON.stringify(before.map((n) => [n.name, n.flatcarVersion]))}`);
  const fromVersion = target.flatcarVersion;
  const name = target.name;

  await page.getByRole('button', { name, exact: true }).click();
  await page.getByRole('button', { name: 'Update', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: `Update ${name}`, exact: true }).click();

  const after = await until(`${name} to come back updated`, timeoutMs, async () => {
    const runs = (await call('rollout.list', { cluster: 'demo' })).result as RolloutState[] | null;
    const failed = runs?.find((r) => r.status === 'failed' && r.nodes.some((n) => n.node === name));
    if (failed) throw new Error(`the update of ${name} failed: ${JSON.stringify(failed.error ?? failed.nodes)}`);
    const node = (await demoNodes(call)).find((n) => n.name === name);
    const done = node && node.flatcarVersion !== fromVersion && node.ready === 'True' && !node.unschedulable;
    return done ? node : null;
  }).catch(async (err: Error) => {
    // What the operator would have seen: makes a failure in CI readable without a trace viewer.
    const screen = await page.locator('body').innerText().catch(() => '(page gone)');
    throw new Error(`${err.message}\n--- page text ---\n${screen.slice(0, 3000)}`);
  });
  return { node: name, from: fromVersion, to: after.flatcarVersion ?? '?' };
}
