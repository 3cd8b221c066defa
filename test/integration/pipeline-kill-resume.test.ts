import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { fastFlags, finished, flatdeck, killWhenSeen, publishNewReleases } from './pipeline-cli.ts';
import { startWorld, type World } from './pipeline-world.ts';
import { loopbackBlock } from '../support/loopback.ts';
import { guardFleet, type FleetGuard } from '../support/invariants-recorder.ts';

const block = loopbackBlock();

/** Kill points: SIGKILL as soon as the run announces this step, then `flatdeck resume` must finish cleanly. */
const KILL_AT = ['update', 'lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon'] as const;

describe('SIGKILL at every step, then flatdeck resume', () => {
  let w: World;
  let guard: FleetGuard;
  before(async () => {
    w = await startWorld({ nodes: 3, addressBase: block.base });
    guard = await guardFleet(w.kc, w.sim.eventsPath);
  });
  afterEach(() => guard.assertSafe());
  after(async () => {
    guard?.stop();
    await w?.stop();
  });

  for (const step of KILL_AT) {
    it(`killed at ${step}: resume ends updated, uncordoned, without marks`, async () => {
      const wanted = publishNewReleases(w.sim);
      const node = w.sim.nodes[0]!.name;
      const dataDir = mkdtempSync(join(w.dir, `kill-${step}-`));
      const run = flatdeck(w.sim, dataDir, ['update', node, '--json', ...fastFlags]);
      await killWhenSeen(run, new RegExp(`"step":"${step}","status":"started"`));
      assert.equal((await run.exit).signal, 'SIGKILL');

      const list = flatdeck(w.sim, dataDir, ['resume', '--list', '--json']);
      assert.equal((await list.exit).code, 0, list.stderr());
      const unfinished = JSON.parse(list.lines.join('')) as Array<{ node: string; ours: boolean }>;
      assert.deepEqual(unfinished.map((u) => [u.node, u.ours]), [[node, true]], 'the killed run is found in the journal');

      const resume = flatdeck(w.sim, dataDir, ['resume', ...fastFlags]);
      const { code } = await finished(resume);
      assert.equal(code, 0, `${resume.lines.slice(-12).join('\n')}\n${resume.stderr()}`);
      const machine = w.sim.machines.find((m) => m.name === node)!;
      assert.equal(machine.osRelease().versionId, wanted[machine.channel()]);
      const n = await w.kc.makeApiClient(CoreV1Api).readNode({ name: node });
      assert.notEqual(n.spec?.unschedulable, true, 'not left cordoned');
      assert.deepEqual(Object.keys(n.metadata?.annotations ?? {}).filter((k) => k.startsWith('flatdeck.io/')), []);
      assert.equal(n.metadata?.annotations?.['flatcar-linux-update.v1.flatcar-linux.net/reboot-paused'], undefined, 'FLUO pause restored (was absent)');
      const again = flatdeck(w.sim, dataDir, ['resume', '--list']);
      await again.exit;
      assert.match(again.lines.join('\n'), /no unfinished runs/);
    });
  }
});
