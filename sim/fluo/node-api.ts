// FLUO's Node access (pkg/k8sutil/metadata.go and the agent's watches), over the simulator's REST client.
// Every change FLUO makes to a Node's FLUO keys or schedulability is recorded in events.jsonl (kind `fluo`); the
// changes of one update share its `write` number.
import { isStatus, type KubeRestClient } from '../kubelet/rest-client.ts';
import type { EventSink } from '../fleet/events.ts';
import { FLUO_PREFIX } from './keys.ts';
import { abortable, sleep } from './timing.ts';

export interface NodeObject {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  [field: string]: unknown;
}

interface NodeList {
  metadata: { resourceVersion: string };
  items: NodeObject[];
}

/** A Node whose maps exist, as the Go code expects (it writes into node.Labels/Annotations directly). */
export interface EditableNode extends NodeObject {
  metadata: NodeObject['metadata'] & { labels: Record<string, string>; annotations: Record<string, string> };
  spec: { unschedulable?: boolean };
}

export type FluoRole = 'update-agent' | 'update-operator';

let writes = 0;

const nodePath = (name: string) => `/api/v1/nodes/${encodeURIComponent(name)}`;

// client-go's retry.DefaultBackoff: 4 tries, 10 ms × 5^n.
const CONFLICT_RETRY_DELAYS_MS = [10, 50, 250];

function editable(node: NodeObject): EditableNode {
  const copy = structuredClone(node);
  return { ...copy, metadata: { ...copy.metadata, labels: copy.metadata.labels ?? {}, annotations: copy.metadata.annotations ?? {} }, spec: copy.spec ?? {} };
}

type Snapshot = Map<string, string | boolean | null>;

function fluoState(node: NodeObject): Snapshot {
  const state: Snapshot = new Map();
  for (const [k, v] of Object.entries(node.metadata.annotations ?? {})) if (k.startsWith(FLUO_PREFIX)) state.set(`annotation ${k.slice(FLUO_PREFIX.length)}`, v);
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) if (k.startsWith(FLUO_PREFIX)) state.set(`label ${k.slice(FLUO_PREFIX.length)}`, v);
  state.set('spec unschedulable', node.spec?.unschedulable === true);
  return state;
}

export class FluoNodeApi {
  constructor(
    private readonly client: KubeRestClient,
    private readonly events: EventSink,
    private readonly role: FluoRole,
  ) {}

  get(name: string): Promise<NodeObject> {
    return this.client.get<NodeObject>(nodePath(name));
  }

  /** k8sutil.GetNodeRetry */
  async getRetry(name: string, signal: AbortSignal): Promise<NodeObject> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.get(name);
      } catch (err) {
        const delay = CONFLICT_RETRY_DELAYS_MS[attempt];
        if (delay === undefined) throw err;
        await sleep(delay, signal);
      }
    }
  }

  async list(): Promise<NodeObject[]> {
    return (await this.client.get<NodeList>('/api/v1/nodes')).items;
  }

  /**
   * k8sutil.UpdateNodeRetry: get, apply `edit`, update; again on a conflict. An edit that changes nothing is
   * not sent (a real kube-apiserver answers such an update without writing, so nothing watching sees it).
   */
  async update(name: string, edit: (node: EditableNode) => void, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(name);
      const next = editable(current);
      edit(next);
      if (JSON.stringify(next) === JSON.stringify(editable(current))) return;
      try {
        await abortable(this.client.call('PUT', nodePath(name), next), signal);
        this.record(name, fluoState(current), fluoState(next));
        return;
      } catch (err) {
        const delay = CONFLICT_RETRY_DELAYS_MS[attempt];
        if (!isStatus(err, 409) || delay === undefined) throw err;
        await sleep(delay, signal);
      }
    }
  }

  setAnnotationsLabels(name: string, annotations: Record<string, string>, labels: Record<string, string>, signal: AbortSignal): Promise<void> {
    return this.update(name, (n) => {
      Object.assign(n.metadata.annotations, annotations);
      Object.assign(n.metadata.labels, labels);
    }, signal);
  }

  setUnschedulable(name: string, unschedulable: boolean, signal: AbortSignal): Promise<void> {
    return this.update(name, (n) => {
      n.spec.unschedulable = unschedulable;
    }, signal);
  }

  /**
   * The agent's waitForNodeCondition (watchtools.UntilWithoutRetry from the Node's resourceVersion): resolves
   * when `condition` holds for an ADDED/MODIFIED event; rejects on an ERROR or DELETED event, when the watch
   * closes, or after `timeoutMs`.
   */
  waitFor(node: NodeObject, condition: (annotations: Record<string, string>) => boolean, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const selector = encodeURIComponent(`metadata.name=${node.metadata.name}`);
    const path = `/api/v1/nodes?watch=1&fieldSelector=${selector}&resourceVersion=${node.metadata.resourceVersion ?? ''}`;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        handle.abort();
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => finish(new Error('stopped'));
      const timer = setTimeout(() => finish(new Error('timed out waiting for the condition')), timeoutMs);
      const handle = this.client.watch<NodeObject>(path, (event) => {
        if (event.type === 'ADDED' || event.type === 'MODIFIED') {
          if (condition(event.object.metadata.annotations ?? {})) finish();
        } else if (event.type === 'ERROR') finish(new Error(`watching node: ${JSON.stringify(event.object)}`));
        else if (event.type === 'DELETED') finish(new Error('our node was deleted while we were waiting for ready'));
        else finish(new Error('unexpected watch bookmark received'));
      });
      signal.addEventListener('abort', onAbort);
      handle.done.then(() => finish(new Error('watch closed before UntilWithoutRetry timeout')), (err: unknown) => finish(err as Error));
    });
  }

  private record(node: string, before: Snapshot, after: Snapshot): void {
    const write = ++writes;
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const from = before.get(key) ?? null;
      const to = after.get(key) ?? null;
      if (from === to) continue;
      const [field, name] = key.split(' ') as [string, string];
      this.events.record({ node, kind: 'fluo', from: typeof from === 'boolean' ? String(from) : from, to: typeof to === 'boolean' ? String(to) : to, key: name, field, by: this.role, write });
    }
  }
}
