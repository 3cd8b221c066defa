// The simulated machine as FLUO's agent container sees it (./host.ts), from sim/fleet's node model.
import type { SimNode } from '../fleet/node.ts';
import type { FluoHost } from './host.ts';

export function fluoHostOf(node: SimNode): FluoHost {
  return {
    name: node.name,
    isUp: () => node.isUp(),
    onPowerChange: (cb) => node.onPowerChange(cb),
    readHostFile(path) {
      const file = node.readFile(path);
      return file?.kind === 'file' ? file.content : null;
    },
    updateEngineStatus: () => node.updateEngine()?.status() ?? null,
    onUpdateEngineSignal: (cb) => node.onUpdateEngineSignal((status) => cb(status)),
    reboot: () => node.requestReboot('update-agent'),
  };
}
