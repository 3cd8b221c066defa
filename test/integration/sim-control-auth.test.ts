// The simulator's control endpoint as the flatdeck demo starts it: a loopback Host and the bearer token, or no
// answer at all (a web page or another local user could otherwise inject faults or authorise SSH keys).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { startSimCluster, type SimCluster } from '../../sim/cluster.ts';
import { loopbackBlock } from '../support/loopback.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-sim-control-'));
const token = 'c0ffee'.repeat(10);
let sim: SimCluster;

before(async () => {
  sim = await startSimCluster({ nodes: 1, stateDir: dir, sshPort: 0, addressBase: loopbackBlock().base, api: { kind: 'none' }, controlToken: token });
});
after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One raw request with exactly these headers (fetch would not let a test set Host). */
function call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<number> {
  const url = new URL(sim.controlUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, setHost: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

it('answers only a loopback Host with the bearer token', async () => {
  const host = new URL(sim.controlUrl).host;
  const bearer = `Bearer ${token}`;
  assert.equal(await call('GET', '/state', { Host: host }), 401, 'no token');
  assert.equal(await call('GET', '/state', { Host: host, Authorization: `Bearer ${'0'.repeat(60)}` }), 401, 'wrong token');
  assert.equal(await call('POST', '/faults', { Host: host, 'Content-Type': 'text/plain' }, { kind: 'rollback', node: 'worker-1' }), 401, 'a page’s simple POST');
  assert.equal(await call('GET', '/state', { Host: `rebind.example:${new URL(sim.controlUrl).port}`, Authorization: bearer }), 403, 'foreign Host');
  assert.equal(await call('GET', '/state', { Host: host, Authorization: bearer }), 200);
  assert.equal(await call('GET', '/faults', { Host: `localhost:${new URL(sim.controlUrl).port}`, Authorization: bearer }), 200);
  assert.deepEqual(sim.faults.list(), [], 'the refused POST injected nothing');
});
