// FLUO's update-operator (pkg/operator/operator.go Kontroller.process), one reconciliation every period:
// clean up stale before-reboot labels, finish after-reboot checks (reboot-ok=false), label nodes that just
// rebooted after-reboot, finish before-reboot checks (reboot-ok=true), and label up to maxRebootingNodes (1)
// rebootable nodes before-reboot, only inside the reboot window.
import { fluoKey, FALSE, TRUE } from './keys.ts';
import type { FluoNodeApi, NodeObject } from './node-api.ts';
import { durationToStart, type Periodic } from '../fleet/periodic.ts';
import { sleep } from './timing.ts';

export interface OperatorConfig {
  nodes: FluoNodeApi;
  beforeRebootAnnotations: string[];
  afterRebootAnnotations: string[];
  rebootWindow: Periodic | null;
  /** real ms between the end of one reconciliation and the start of the next (defaultReconciliationPeriod 30 s) */
  periodMs: number;
  maxRebootingNodes: number;
  now: () => Date;
  log: (message: string) => void;
}

type Annotations = Readonly<Record<string, string>>;
const annotationsOf = (n: NodeObject): Annotations => n.metadata.annotations ?? {};
const labelsOf = (n: NodeObject): Annotations => n.metadata.labels ?? {};

/** rebootableSelector: reboot-needed==true, reboot-paused!=true, reboot-ok!=true, reboot-in-progress!=true */
export function rebootable(a: Annotations): boolean {
  return a[fluoKey.rebootNeeded] === TRUE && a[fluoKey.rebootPaused] !== TRUE && a[fluoKey.rebootOk] !== TRUE && a[fluoKey.rebootInProgress] !== TRUE;
}

/** justRebootedSelector: reboot-ok=true, reboot-needed=false, reboot-in-progress=false (all present) */
const justRebooted = (a: Annotations) => a[fluoKey.rebootOk] === TRUE && a[fluoKey.rebootNeeded] === FALSE && a[fluoKey.rebootInProgress] === FALSE;

/** stillRebootingSelector: reboot-ok=true, reboot-needed=true */
const stillRebooting = (a: Annotations) => a[fluoKey.rebootOk] === TRUE && a[fluoKey.rebootNeeded] === TRUE;

const labelled = (key: string) => (n: NodeObject) => labelsOf(n)[key] === TRUE;
const waitingBeforeReboot = labelled(fluoKey.beforeReboot);
const waitingAfterReboot = labelled(fluoKey.afterReboot);
const hasAll = (n: NodeObject, keys: readonly string[]) => keys.every((k) => annotationsOf(n)[k] === TRUE);

export async function runOperator(cfg: OperatorConfig, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await reconcile(cfg, signal);
    } catch (err) {
      if (signal.aborted) return;
      cfg.log(`fluo operator: ${(err as Error).message}`);
    }
    await sleep(cfg.periodMs, signal).catch(() => undefined);
  }
}

async function reconcile(cfg: OperatorConfig, signal: AbortSignal): Promise<void> {
  const { nodes } = cfg;

  // cleanupState: a node labelled before-reboot that no longer wants to reboot loses the label.
  for (const n of await nodes.list()) {
    await nodes.update(n.metadata.name, (node) => {
      if (!(fluoKey.beforeReboot in node.metadata.labels) || rebootable(node.metadata.annotations)) return;
      cfg.log(`fluo operator: Node "${node.metadata.name}" no longer wanted to reboot while we were trying to label it so`);
      delete node.metadata.labels[fluoKey.beforeReboot];
      for (const a of cfg.beforeRebootAnnotations) delete node.metadata.annotations[a];
    }, signal);
  }

  await checkReboot(cfg, fluoKey.afterReboot, cfg.afterRebootAnnotations, FALSE, signal);

  // markAfterReboot
  for (const n of (await nodes.list()).filter((n) => !waitingAfterReboot(n) && justRebooted(annotationsOf(n)))) {
    await mark(cfg, n.metadata.name, fluoKey.afterReboot, cfg.afterRebootAnnotations, signal);
  }

  await checkReboot(cfg, fluoKey.beforeReboot, cfg.beforeRebootAnnotations, TRUE, signal);

  // markBeforeReboot
  const list = await nodes.list();
  if (cfg.rebootWindow && durationToStart(cfg.rebootWindow, cfg.now()) > 0) return;
  const busy = [...list.filter((n) => stillRebooting(annotationsOf(n))), ...list.filter(waitingBeforeReboot), ...list.filter(waitingAfterReboot)];
  const capacity = cfg.maxRebootingNodes - busy.length;
  if (capacity === 0) cfg.log(`fluo operator: Found ${busy.length} (of max ${cfg.maxRebootingNodes}) rebooting nodes; waiting for completion`);
  const wanting = list.filter((n) => rebootable(annotationsOf(n)) && !waitingBeforeReboot(n));
  for (const n of wanting.slice(0, Math.max(0, capacity))) await mark(cfg, n.metadata.name, fluoKey.beforeReboot, cfg.beforeRebootAnnotations, signal);
}

/** checkReboot: nodes with `label` whose configured annotations are all "true" lose both and get reboot-ok. */
async function checkReboot(cfg: OperatorConfig, label: string, annotations: readonly string[], okToReboot: string, signal: AbortSignal): Promise<void> {
  for (const n of (await cfg.nodes.list()).filter(labelled(label))) {
    if (!hasAll(n, annotations)) continue;
    await cfg.nodes.update(n.metadata.name, (node) => {
      delete node.metadata.labels[label];
      for (const a of annotations) delete node.metadata.annotations[a];
      node.metadata.annotations[fluoKey.rebootOk] = okToReboot;
    }, signal);
  }
}

/** mark: removes left-over check annotations and sets `label`=true. */
async function mark(cfg: OperatorConfig, name: string, label: string, annotations: readonly string[], signal: AbortSignal): Promise<void> {
  await cfg.nodes.update(name, (node) => {
    for (const a of annotations) delete node.metadata.annotations[a];
    node.metadata.labels[label] = TRUE;
  }, signal);
}
