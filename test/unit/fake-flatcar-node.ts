// A Flatcar node for the live-watch unit tests: reachable, update-engine running and idle, its status stream open
// until stopped (or dropped once `dropped` resolves).
import { ApiError } from '../../app/api/errors.ts';
import type { FlatcarNode, UeStatus } from '../../app/flatcar/node.ts';

export const IDLE: UeStatus = { op: 'UPDATE_STATUS_IDLE', progress: 0, newVersion: '0.0.0', newSize: 0, lastCheckedTime: 0 };

/** A reachable node whose update-engine runs; its stream stays open until stopped, or drops once `drop` is called. */
export function reachableNode(dropped?: Promise<void>, name = 'worker-1'): FlatcarNode {
  const node: Partial<FlatcarNode> = {
    name,
    versionId: async () => '4459.2.1',
    unitState: async () => ({ file: 'enabled', active: true }),
    updateConf: async () => '',
    status: async () => IDLE,
    watch: (_on, signal) =>
      new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => resolve(), { once: true });
        void dropped?.then(() => reject(new ApiError('ssh-disconnected', `${name}: the connection closed`, { node: name })));
      }),
  };
  return node as FlatcarNode;
}
