import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Envelope } from '../../main/host/envelope.ts';
import { callChannel } from '../../main/electron/channels.ts';
import { isTrustedSender, registerApiIpc } from '../../main/electron/ipc.ts';
import type { InvokeEvent, IpcMainLike, TrustedRenderer } from '../../main/electron/ipc.ts';
import { isAppUrl } from '../../main/electron/window-security.ts';
import { FakeHandler, demoCluster } from './shell-fake-handler.ts';

type Listener = (event: InvokeEvent, ...args: unknown[]) => Promise<Envelope>;

/** Records what the IPC module registers, and lets a test invoke it the way Electron would. */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, listener: Listener): void {
    assert.equal(this.handlers.has(channel), false, `second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(event: InvokeEvent, ...args: unknown[]): Promise<Envelope> {
    const listener = this.handlers.get(callChannel);
    assert.ok(listener, 'no handler registered');
    return listener(event, ...args);
  }
}

const mainWindowId = 7;
const trusted: TrustedRenderer = { webContentsId: () => mainWindowId, isAppUrl };
const topFrame = { url: 'app://flatdeck/index.html', parent: null };
const fromMainWindow: InvokeEvent = { sender: { id: mainWindowId }, senderFrame: topFrame };

describe('Electron IPC: who may call', () => {
  it('trusts only the top frame of the main window showing the app', () => {
    assert.equal(isTrustedSender(fromMainWindow, trusted), true);
    assert.equal(isTrustedSender({ sender: { id: mainWindowId }, senderFrame: { url: 'app://flatdeck/index.html#/nodes', parent: null } }, trusted), true);
  });

  it('refuses another webContents, a subframe, a gone frame, or a foreign page', () => {
    const cases: Array<[string, InvokeEvent]> = [
      ['other webContents', { sender: { id: 8 }, senderFrame: topFrame }],
      ['subframe', { sender: { id: mainWindowId }, senderFrame: { url: 'app://flatdeck/index.html', parent: topFrame } }],
      ['destroyed frame', { sender: { id: mainWindowId }, senderFrame: null }],
      ['navigated away', { sender: { id: mainWindowId }, senderFrame: { url: 'https://attacker.example/', parent: null } }],
      ['file page', { sender: { id: mainWindowId }, senderFrame: { url: 'file:///tmp/index.html', parent: null } }],
      ['look-alike host', { sender: { id: mainWindowId }, senderFrame: { url: 'app://flatdeck.attacker/index.html', parent: null } }],
      ['credentials in URL', { sender: { id: mainWindowId }, senderFrame: { url: 'app://x@flatdeck/index.html', parent: null } }],
      ['garbage URL', { sender: { id: mainWindowId }, senderFrame: { url: 'not a url', parent: null } }],
    ];
    for (const [label, event] of cases) assert.equal(isTrustedSender(event, trusted), false, label);
    assert.equal(isTrustedSender(fromMainWindow, { ...trusted, webContentsId: () => null }), false, 'no main window');
  });
});

describe('Electron IPC: the flatdeck:call handler', () => {
  let ipc: FakeIpcMain;
  let core: FakeHandler;
  beforeEach(() => {
    ipc = new FakeIpcMain();
    core = new FakeHandler();
    registerApiIpc(ipc, core, trusted);
  });

  it('runs a valid request from the main window and returns the result envelope', async () => {
    assert.deepEqual(await ipc.invoke(fromMainWindow, 'clusters.list', {}), { error: null, result: [demoCluster] });
    assert.deepEqual(core.calls, [{ method: 'clusters.list', params: {} }]);
  });

  it('refuses a foreign sender before anything reaches the core', async () => {
    const answer = await ipc.invoke({ sender: { id: 99 }, senderFrame: topFrame }, 'clusters.list', {});
    assert.equal(answer.error?.kind, 'forbidden');
    assert.equal(answer.error?.facts.url, 'app://flatdeck/index.html');
    assert.equal(answer.result, null);
    const sub = await ipc.invoke({ sender: { id: mainWindowId }, senderFrame: { url: 'app://flatdeck/x.html', parent: topFrame } }, 'clusters.list', {});
    assert.equal(sub.error?.kind, 'forbidden');
    assert.deepEqual(core.calls, []);
  });

  it('rejects bad arguments with invalid-request and never calls the core', async () => {
    const bad: unknown[][] = [
      ['nodes.format', {}],
      [42, {}],
      [{ toString: () => 'clusters.list' }, {}],
      ['nodes.list', { cluster: '' }],
      ['nodes.list', { cluster: 5 }],
      ['nodes.list', 'demo'],
      ['__proto__', {}],
      ['clusters.list'],
      ['clusters.list', {}, 'extra'],
    ];
    for (const args of bad) {
      const answer = await ipc.invoke(fromMainWindow, ...args);
      assert.equal(answer.error?.kind, 'invalid-request', JSON.stringify(args));
      assert.equal(answer.result, null);
    }
    assert.deepEqual(core.calls, []);
  });

  it('passes the validated params (defaults filled in), not the raw ones', async () => {
    await ipc.invoke(fromMainWindow, 'pipeline.updateNode', { cluster: 'demo', node: 'worker-1', sneaky: true });
    assert.deepEqual(core.calls, [{ method: 'pipeline.updateNode', params: { cluster: 'demo', node: 'worker-1', options: {} } }]);
  });

  it('carries a core error across with its kind, message and facts; other errors become internal', async () => {
    assert.deepEqual(await ipc.invoke(fromMainWindow, 'nodes.list', { cluster: 'prod' }), {
      error: { kind: 'not-found', message: 'No cluster named "prod".', facts: { cluster: 'prod' } },
      result: null,
    });
    const internal = await ipc.invoke(fromMainWindow, 'settings.get', {});
    assert.equal(internal.error?.kind, 'internal');
    assert.match(internal.error?.message ?? '', /settings\.get/);
  });

  it('can be unregistered', () => {
    const ipc2 = new FakeIpcMain();
    const remove = registerApiIpc(ipc2, core, trusted);
    assert.equal(ipc2.handlers.has(callChannel), true);
    remove();
    assert.equal(ipc2.handlers.has(callChannel), false);
  });
});
