import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { guardedWorld } from './guarded-world.ts';
import { cliDataDir, fastFlags, finished, flatdeck, killWhenSeen, publishNewReleases } from './pipeline-cli.ts';
import { simMachine } from './pipeline-world.ts';

/** Kill points: SIGKILL as soon as the run announces this step, then `flatdeck resume` must finish cleanly. */
const KILL_AT = ['update', 'lock', 'cordon', 'drain', 'reboot', 'verify', 'uncordon'] as const;

describe('SIGKILL at every step, then flatdeck resume', () => {
  const w = guardedWorld({ nodes: 3 });

  for (const step of KILL_AT) {
    it(`killed at ${step}: resume ends updated, uncordoned, without marks`, async () => {
      const wanted = publishNewReleases(w.sim);
      const node = w.sim.nodes[0]!.name;
      const dataDir = cliDataDir(w, { prefix: `kill-${step}-` });
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
      const machine = simMachine(w.sim, node);
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
