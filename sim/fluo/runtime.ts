// Runs FLUO's containers on the simulated fleet: every Running and Ready pod whose container is FLUO's image with
// /bin/update-agent or /bin/update-operator gets that binary's behaviour (./agent.ts, ./operator.ts) for as long
// as the pod runs on a powered node. Applying deploy/fluo/fluo.yaml therefore starts FLUO (the DaemonSet and
// Deployment controllers create the pods, the kubelet role runs them) and deleting it stops FLUO. A process that
// fails is restarted with the kubelet's CrashLoopBackOff delays (10 s doubling up to 5 min).
import { KubeApiError, KubeRestClient, KUBELET_USER_AGENT } from '../kubelet/rest-client.ts';
import { isRunningAndReady } from '../kubelet/pod-status.ts';
import type { EventSink } from '../fleet/events.ts';
import { runAgent } from './agent.ts';
import { fluoBinaryOf, goBool, readFlags, stringSlice, type ContainerSpec, type FluoBinary } from './flags.ts';
import type { FluoHost } from './host.ts';
import { FluoNodeApi } from './node-api.ts';
import { whileLeading } from './leader-election.ts';
import { runOperator } from './operator.ts';
import { parsePeriodic } from '../fleet/periodic.ts';
import { scaler, sleep } from './timing.ts';

export interface FluoRuntimeOptions {
  kubeconfigPath: string;
  /** the simulated machine behind a Node name, if it is one of the fleet's */
  host: (nodeName: string) => FluoHost | undefined;
  events: EventSink;
  timeScale: number;
  log: (message: string) => void;
}

export interface FluoRuntime {
  stop(): Promise<void>;
}

interface FluoPod {
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: ContainerSpec[] };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

interface Process {
  pod: FluoPod;
  binary: FluoBinary;
  abort: AbortController;
  done: Promise<void>;
}

const AGENT_DEFAULT_GRACE_PERIOD_S = 600;
const CRASH_LOOP = { initialMs: 10_000, maxMs: 300_000 };
const RECONCILE_MS = 500;
// FLUO's 30 s reconciliation is far longer than an agent takes to uncordon after reboot-ok=false; scaled below a
// few real seconds that would no longer hold and the operator could grant the next node before the last is back.
// The operator's other durations (leader election) keep their ratio to it.
const MIN_OPERATOR_PERIOD_MS = 2_000;
const OPERATOR_PERIOD_MS = 30_000;

export async function startFluoRuntime(opts: FluoRuntimeOptions): Promise<FluoRuntime> {
  // The kubelet knows which containers run; FLUO's binaries talk to the API as client-go does, named after themselves.
  const kubelet = await KubeRestClient.fromKubeconfigFile(opts.kubeconfigPath, KUBELET_USER_AGENT);
  const clientOf = (binary: FluoBinary) => KubeRestClient.fromKubeconfigFile(opts.kubeconfigPath, `${binary}/v0.0.0 (linux/amd64) kubernetes/$Format`);
  const clients: Record<FluoBinary, KubeRestClient> = { 'update-agent': await clientOf('update-agent'), 'update-operator': await clientOf('update-operator') };
  const scaled = scaler(opts.timeScale);
  const operatorScaled = scaler(Math.max(opts.timeScale, MIN_OPERATOR_PERIOD_MS / OPERATOR_PERIOD_MS));
  const pods = new Map<string, FluoPod>();
  const processes = new Map<string, Process>();
  let resourceVersion: string | undefined;
  let watch: { abort(): void } | undefined;
  let stopped = false;

  const binaryOf = (pod: FluoPod): { binary: FluoBinary; container: ContainerSpec } | null => {
    for (const container of pod.spec.containers) {
      const binary = fluoBinaryOf(container);
      if (binary) return { binary, container };
    }
    return null;
  };

  const nodeUp = (nodeName: string | undefined): boolean => (nodeName ? (opts.host(nodeName)?.isUp() ?? false) : false);

  const wanted = (pod: FluoPod): boolean => !pod.metadata.deletionTimestamp && isRunningAndReady(pod) && nodeUp(pod.spec.nodeName);

  const record = (pod: FluoPod, binary: FluoBinary, from: string, to: string, detail: Record<string, unknown> = {}) =>
    opts.events.record({ node: pod.spec.nodeName ?? '', kind: 'fluo-role', from, to, role: binary, pod: `${pod.metadata.namespace}/${pod.metadata.name}`, ...detail });

  function program(pod: FluoPod, binary: FluoBinary, container: ContainerSpec): (signal: AbortSignal) => Promise<void> {
    const log = opts.log;
    const client = clients[binary];
    if (binary === 'update-agent') {
      const flags = readFlags(container, 'UPDATE_AGENT', ['grace-period', 'force-drain'], ['force-drain']);
      const host = opts.host(pod.spec.nodeName ?? '') as FluoHost;
      const gracePeriodS = Number(flags.get('grace-period') ?? AGENT_DEFAULT_GRACE_PERIOD_S);
      return (signal) =>
        runAgent(
          {
            host,
            client,
            nodes: new FluoNodeApi(client, opts.events, binary),
            forceDrain: goBool(flags.get('force-drain')),
            pollMs: scaled(10_000),
            maxOperatorResponseMs: scaled(24 * 3600_000),
            drain: { timeoutMs: scaled(gracePeriodS * 1000), evictionRetryMs: scaled(5_000), deletePollMs: scaled(1_000) },
            log,
          },
          signal,
        );
    }
    const flags = readFlags(container, 'UPDATE_OPERATOR', ['before-reboot-annotations', 'after-reboot-annotations', 'reboot-window-start', 'reboot-window-length']);
    return async (signal) => {
      const start = flags.get('reboot-window-start') ?? '';
      const length = flags.get('reboot-window-length') ?? '';
      const parsed = start !== '' && length !== '' ? parsePeriodic(start, length) : null;
      if (parsed && !parsed.ok) throw new Error(`check configuration: parsing reboot window: ${parsed.error}`);
      const leader = { client, namespace: pod.metadata.namespace, identity: pod.metadata.name, leaseMs: operatorScaled(90_000), now: Date.now };
      await whileLeading(leader, signal, (leading) => runOperator(
        {
          nodes: new FluoNodeApi(client, opts.events, binary),
          beforeRebootAnnotations: stringSlice(flags.get('before-reboot-annotations')),
          afterRebootAnnotations: stringSlice(flags.get('after-reboot-annotations')),
          rebootWindow: parsed?.value ?? null,
          periodMs: operatorScaled(OPERATOR_PERIOD_MS),
          maxRebootingNodes: 1,
          now: () => new Date(),
          log,
        },
        leading,
      ));
    };
  }

  function start(pod: FluoPod, binary: FluoBinary, container: ContainerSpec): void {
    const abort = new AbortController();
    const run = program(pod, binary, container);
    const off = opts.host(pod.spec.nodeName ?? '')?.onPowerChange((up) => {
      if (!up) stopProcess(pod.metadata.uid, 'node down');
    });
    const done = (async () => {
      for (let restarts = 0; !abort.signal.aborted; restarts++) {
        record(pod, binary, restarts === 0 ? 'stopped' : 'exited', 'running', { restarts });
        let error: string | null = null;
        try {
          await run(abort.signal);
        } catch (err) {
          error = (err as Error).message;
        }
        if (abort.signal.aborted) break;
        record(pod, binary, 'running', 'exited', { error });
        if (error) opts.log(`fluo ${binary} on ${pod.spec.nodeName}: ${error}`);
        await sleep(scaled(Math.min(CRASH_LOOP.maxMs, CRASH_LOOP.initialMs * 2 ** restarts)), abort.signal).catch(() => undefined);
      }
      off?.();
    })();
    processes.set(pod.metadata.uid, { pod, binary, abort, done });
  }

  function stopProcess(uid: string, why: string): void {
    const p = processes.get(uid);
    if (!p) return;
    processes.delete(uid);
    p.abort.abort();
    record(p.pod, p.binary, 'running', 'stopped', { why });
  }

  function reconcile(): void {
    if (stopped) return;
    for (const [uid, p] of processes) {
      const pod = pods.get(uid);
      if (!pod) stopProcess(uid, 'pod deleted');
      else if (!wanted(pod)) stopProcess(uid, pod.metadata.deletionTimestamp ? 'pod terminating' : nodeUp(pod.spec.nodeName) ? 'pod not ready' : 'node down');
      else p.pod = pod;
    }
    for (const pod of pods.values()) {
      const found = binaryOf(pod);
      if (!found || processes.has(pod.metadata.uid) || !wanted(pod)) continue;
      if (found.binary === 'update-agent' && !opts.host(pod.spec.nodeName ?? '')) continue;
      start(pod, found.binary, found.container);
    }
  }

  const observe = (pod: FluoPod) => {
    if (binaryOf(pod)) pods.set(pod.metadata.uid, pod);
  };

  async function relist(): Promise<void> {
    const list = await kubelet.get<{ metadata: { resourceVersion: string }; items: FluoPod[] }>('/api/v1/pods');
    pods.clear();
    for (const pod of list.items) observe(pod);
    resourceVersion = list.metadata.resourceVersion;
    reconcile();
  }

  async function watchLoop(): Promise<void> {
    while (!stopped) {
      try {
        if (resourceVersion === undefined) await relist();
        const handle = kubelet.watch<FluoPod>(`/api/v1/pods?watch=1&resourceVersion=${resourceVersion}`, (ev) => {
          if (ev.type === 'ERROR') {
            resourceVersion = undefined;
            handle.abort();
            return;
          }
          resourceVersion = ev.object.metadata.resourceVersion ?? resourceVersion;
          if (ev.type === 'DELETED') pods.delete(ev.object.metadata.uid);
          else if (ev.type !== 'BOOKMARK') observe(ev.object);
          reconcile();
        });
        watch = handle;
        await handle.done;
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 410) resourceVersion = undefined;
        else if (!stopped) opts.log(`fluo runtime: pods watch: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, scaled(1_000)));
      }
    }
  }

  await relist();
  const loop = watchLoop();
  // Pod status lags a power change by a kubelet round trip; re-check often so a process never outlives its node.
  const ticker = setInterval(reconcile, RECONCILE_MS);

  return {
    async stop() {
      stopped = true;
      clearInterval(ticker);
      watch?.abort();
      const running = [...processes.values()];
      for (const p of running) stopProcess(p.pod.metadata.uid, 'simulator stopped');
      await Promise.all([loop, ...running.map((p) => p.done)]);
    },
  };
}
