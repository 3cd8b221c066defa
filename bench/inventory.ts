// Node inventory throughput at fleet scale: 5,000 nodes listed, then 50,000 watch modifications, through
// NodeInventory (Map keyed by name, one summary per changed node, incremental events) and through a naive
// baseline that copies the whole node list on every event. Prints figures; asserts nothing.
//
//   node --expose-gc --import tsx bench/inventory.ts [nodes] [modifications]
import type { NodesEvent, NodeSummary } from '../app/api/nodes.ts';
import { classifyKubeError } from '../app/cluster/errors.ts';
import { NodeInventory, type NodeSource, type WatchEventType } from '../app/cluster/inventory.ts';
import { summarizeNode, type NodeObject } from '../app/cluster/node-summary.ts';

const NODES = Number(process.argv[2] ?? 5000);
const MODIFICATIONS = Number(process.argv[3] ?? 50_000);
const VERSIONS = ['3510.3.5', '4230.2.4', '4459.2.1', '4628.1.2', '4757.2.0'];

function nodeObject(i: number, rv: number, beat: number): NodeObject {
  const name = `worker-${String(i).padStart(5, '0')}`;
  const version = VERSIONS[i % VERSIONS.length]!;
  return {
    metadata: {
      name,
      resourceVersion: String(rv),
      creationTimestamp: '2026-11-01T00:00:00Z',
      labels: { 'kubernetes.io/hostname': name, 'node-role.kubernetes.io/worker': '', 'machine-controller/owned-by': `uid-${i}` },
      annotations: { 'flatcar-linux-update.v1.flatcar-linux.net/status': 'UPDATE_STATUS_IDLE', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { unschedulable: beat % 97 === 0 },
    status: {
      addresses: [
        { type: 'InternalIP', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
        { type: 'Hostname', address: name },
      ],
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(Date.UTC(2026, 10, 26, 0, 0, beat)).toISOString() }],
      nodeInfo: { osImage: `Flatcar Container Linux by Kinvolk ${version}`, kernelVersion: '6.6.60-flatcar', kubeletVersion: 'v1.33.4', bootID: `boot-${i}` },
    },
  };
}

const initial = Array.from({ length: NODES }, (_, i) => nodeObject(i, i + 1, 0));
const modifications = Array.from({ length: MODIFICATIONS }, (_, k) => nodeObject(k % NODES, NODES + k + 1, k + 1));

function heapMiB(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

interface Figures {
  ms: number;
  eventsPerSecond: number;
  /** Heap held once done (after GC) and the highest heap seen while running, both above the start. */
  heapDeltaMiB: number;
  peakHeapMiB: number;
  summariesPushed: number;
}

/** Samples heapUsed every `every` calls, without forcing GC (that would distort the timing). */
function peakTracker(every = 1000) {
  let calls = 0;
  let peak = 0;
  return {
    tick() {
      if (++calls % every === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    },
    peakMiB: (baseMiB: number) => Math.max(0, peak / 1024 / 1024 - baseMiB),
  };
}

/** The inventory fed by an in-memory list+watch: one watch delivering every modification. */
async function runInventory(): Promise<Figures> {
  let watches = 0;
  let stop: () => void = () => undefined;
  const delivered = new Promise<void>((resolve) => (stop = resolve));
  const source: NodeSource = {
    list: async () => ({ items: initial, resourceVersion: String(NODES) }),
    watch: (_rv, handlers, signal) => {
      watches++;
      if (watches > 1) return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      handlers.onOpen();
      const t0 = performance.now();
      for (const m of modifications) {
        handlers.onEvent('MODIFIED' as WatchEventType, m);
        peak.tick();
      }
      elapsed = performance.now() - t0;
      stop();
      return Promise.resolve();
    },
  };
  let elapsed = 0;
  let pushed = 0;
  const peak = peakTracker();
  const inventory = new NodeInventory({ cluster: 'bench', source, classify: (e, verb) => classifyKubeError(e, { cluster: 'bench', verb }) });
  inventory.onEvent((e: NodesEvent) => {
    pushed += e.type === 'snapshot' ? e.nodes.length : 1;
  });
  const before = heapMiB();
  inventory.start();
  await inventory.synced();
  await delivered;
  const after = heapMiB();
  await inventory.stop();
  return { ms: elapsed, eventsPerSecond: (MODIFICATIONS / elapsed) * 1000, heapDeltaMiB: after - before, peakHeapMiB: peak.peakMiB(before), summariesPushed: pushed };
}

/** Keeps the naive list reachable while its heap is measured (V8 would free it as dead otherwise). */
let naiveList: NodeSummary[] = [];

/** What the inventory avoids: an array of summaries, copied and pushed whole on every event. */
function runNaive(): Figures {
  const before = heapMiB();
  const peak = peakTracker();
  let list: NodeSummary[] = initial.map((n) => summarizeNode(n));
  let pushed = list.length;
  const subscriber = (nodes: NodeSummary[]) => {
    pushed += nodes.length;
  };
  const t0 = performance.now();
  for (const m of modifications) {
    const summary = summarizeNode(m);
    list = list.map((n) => (n.name === summary.name ? summary : n));
    subscriber(list);
    peak.tick();
  }
  const ms = performance.now() - t0;
  naiveList = list;
  const after = heapMiB();
  return { ms, eventsPerSecond: (MODIFICATIONS / ms) * 1000, heapDeltaMiB: after - before, peakHeapMiB: peak.peakMiB(before), summariesPushed: pushed };
}

function print(label: string, f: Figures): void {
  console.log(
    `${label.padEnd(28)} ${f.ms.toFixed(0).padStart(7)} ms  ${Math.round(f.eventsPerSecond).toLocaleString('en').padStart(10)} events/s  ` +
      `heap held +${Math.max(0, f.heapDeltaMiB).toFixed(1)} MiB, peak +${f.peakHeapMiB.toFixed(1)} MiB  ${f.summariesPushed.toLocaleString('en')} summaries pushed`,
  );
}

console.log(`node inventory: ${NODES.toLocaleString('en')} nodes, ${MODIFICATIONS.toLocaleString('en')} modifications (node ${process.version}${globalThis.gc ? '' : ', run with --expose-gc for steady heap figures'})`);
const inv = await runInventory();
print('NodeInventory (Map, deltas)', inv);
const naive = runNaive();
print('naive (copy list per event)', naive);
console.log(`(naive list of ${naiveList.length} summaries)`);
console.log(`speed-up ${(inv.eventsPerSecond / naive.eventsPerSecond).toFixed(1)}x; pushed ${(naive.summariesPushed / inv.summariesPushed).toFixed(0)}x fewer summaries`);
