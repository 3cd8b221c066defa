import { activityMethods } from './activity-methods.ts';
import { autoUpdateMethods } from './auto-update-methods.ts';
import { channelMethods } from './channel-methods.ts';
import { clusterMethods } from './cluster-methods.ts';
import type { MethodModule } from './context.ts';
import { liveWatchMethods } from './live-watch-methods.ts';
import { nodeMethods } from './node-methods.ts';
import { pipelineMethods } from './pipeline-methods.ts';
import { promptMethods } from './prompt-methods.ts';
import { releaseMethods } from '../releases/methods.ts';
import { settingsMethods } from './settings-methods.ts';

/**
 * Every domain's method module. A new domain (e.g. `pipelineMethods` from ./pipeline-methods.ts) is one import
 * and one entry here; a method provided twice is a startup error.
 */
export const methodModules: readonly MethodModule[] = [
  clusterMethods,
  nodeMethods,
  liveWatchMethods,
  pipelineMethods,
  settingsMethods,
  promptMethods,
  activityMethods,
  autoUpdateMethods,
  releaseMethods,
  channelMethods,
];
