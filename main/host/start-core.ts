import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ApiHandler } from '../../app/api/index.ts';
import { kubeconfigFiles } from '../../app/cluster/kubeconfig.ts';
import { createService } from '../../app/service/index.ts';
import { demoAddresses } from './demo-addresses.ts';
import { DEMO_NODES } from './demo-fleet.ts';
import { privateDataDir } from './user-data-dir.ts';
import type { SimCluster } from '../../sim/cluster.ts';

/**
 * The demo's pace: simulated durations are multiplied by this, so one node's update (check, ~1-2 min
 * download, finalize, 40 s reboot) takes about a minute. FLATDECK_DEMO_TIME_SCALE overrides it (tests).
 */
const defaultDemoTimeScale = 0.5;

const DemoTimeScale = z.coerce.number().positive().max(10);

export interface CoreOptions {
  /** settings.json, activity log and pipeline journal live here. */
  dataDir: string;
  /**
   * Start the built-in simulated Flatcar cluster and offer it as the "demo" cluster: always, never, or only
   * when there is no kubeconfig to read (so a first `npm start` shows something).
   */
  demo: 'always' | 'never' | 'without-kubeconfig';
  env?: NodeJS.ProcessEnv;
}

export interface RunningCore {
  handler: ApiHandler;
  /** Closes the core, then stops the simulator if there is one. */
  stop(): Promise<void>;
}

export function demoTimeScale(env: NodeJS.ProcessEnv): number {
  const raw = env.FLATDECK_DEMO_TIME_SCALE;
  if (raw === undefined || raw === '') return defaultDemoTimeScale;
  const parsed = DemoTimeScale.safeParse(raw);
  if (!parsed.success) throw new Error(`FLATDECK_DEMO_TIME_SCALE must be a number above 0 and at most 10, got "${raw}"`);
  return parsed.data;
}

function wantsDemo(mode: CoreOptions['demo'], env: NodeJS.ProcessEnv): boolean {
  if (mode !== 'without-kubeconfig') return mode === 'always';
  return !kubeconfigFiles({ env }).files.some((file) => existsSync(file));
}

/** What every host (Electron main, browser mode) runs: the core, and for the demo the simulator it talks to. */
export async function startCore(opts: CoreOptions): Promise<RunningCore> {
  const env = opts.env ?? process.env;
  privateDataDir(opts.dataDir);
  let sim: SimCluster | null = null;
  if (wantsDemo(opts.demo, env)) {
    // Loaded only for the demo: the simulator (with node-forge and yaml) is most of the code otherwise.
    const { startSimCluster } = await import('../../sim/cluster.ts');
    // Nothing in flatdeck uses the simulator's control endpoint: a token nobody knows closes it to other local users.
    const controlToken = randomBytes(32).toString('hex');
    sim = await startSimCluster({ nodes: DEMO_NODES, profile: 'mixed', stateDir: join(opts.dataDir, 'demo-cluster'), timeScale: demoTimeScale(env), sshPort: 0, ...demoAddresses(), fluo: 'runtime', controlToken });
  }
  try {
    const handler = createService({
      dataDir: opts.dataDir,
      env,
      ...(sim ? { demo: { kubeconfigPath: sim.kubeconfigPath, sshConfigPath: sim.sshConfigPath, knownHostsPath: sim.knownHostsPath, releaseFeedUrl: sim.releaseFeedUrl } } : {}),
    });
    return {
      handler,
      async stop() {
        await handler.close();
        await sim?.stop();
      },
    };
  } catch (err) {
    await sim?.stop();
    throw err;
  }
}
