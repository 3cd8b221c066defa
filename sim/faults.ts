// Faults the simulator can inject, per node (name or address) or for the whole cluster, at start (flags)
// or at run time (the control endpoint). Node-side faults are read by sim/fleet; API-side faults are
// forwarded to the API server's own fault control.
import { z } from 'zod';

const nodeTarget = { node: z.string().min(1).max(253).optional() };

export const FaultSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('update-error'), ...nodeTarget, phase: z.enum(['check', 'download', 'finalize']).default('download') }).strict(),
  z.object({ kind: z.literal('download-stall'), ...nodeTarget }).strict(),
  z.object({ kind: z.literal('never-returns'), ...nodeTarget }).strict(),
  z.object({ kind: z.literal('rollback'), ...nodeTarget }).strict(),
  z.object({ kind: z.literal('ssh-auth-rejected'), ...nodeTarget }).strict(),
  z.object({ kind: z.literal('host-key-changed'), ...nodeTarget }).strict(),
  z.object({ kind: z.literal('ssh-slow'), ...nodeTarget, delayMs: z.number().int().min(0).max(600_000).default(2000) }).strict(),
  z.object({ kind: z.literal('ssh-drop'), ...nodeTarget }).strict(),
  z.object({ kind: z.literal('sudo-password'), ...nodeTarget }).strict(),
  z.object({ kind: z.literal('api-5xx-burst'), count: z.number().int().min(1).max(10_000).default(5), status: z.union([z.literal(500), z.literal(503)]).default(503) }).strict(),
  z.object({ kind: z.literal('api-unavailable'), durationMs: z.number().int().min(1).max(3_600_000).default(10_000) }).strict(),
  z.object({ kind: z.literal('pdb-never-allows'), namespace: z.string().min(1), name: z.string().min(1) }).strict(),
]);

export type FaultSpec = z.infer<typeof FaultSpecSchema>;
export type FaultSpecInput = z.input<typeof FaultSpecSchema>;
export type FaultKind = FaultSpec['kind'];
export const API_FAULT_KINDS = ['api-5xx-burst', 'api-unavailable', 'pdb-never-allows'] as const;
export type ApiFault = Extract<FaultSpec, { kind: (typeof API_FAULT_KINDS)[number] }>;
export type NodeFault = Exclude<FaultSpec, ApiFault>;

export function isApiFault(spec: FaultSpec): spec is ApiFault {
  return (API_FAULT_KINDS as readonly string[]).includes(spec.kind);
}

export interface ActiveFault {
  id: string;
  since: string;
  spec: FaultSpec;
}

export type FaultChange = { added: ActiveFault } | { removed: ActiveFault };

/** Parses a fault from a flag value: `kind[:node][,key=value…]`, e.g. `ssh-slow:worker-2,delayMs=500`. */
export function parseFaultFlag(text: string): FaultSpec {
  const [head = '', ...pairs] = text.split(',');
  const [kind, node] = head.split(':');
  const raw: Record<string, unknown> = { kind };
  if (node) raw.node = node;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`fault option "${pair}" is not key=value`);
    const value = pair.slice(eq + 1);
    raw[pair.slice(0, eq)] = /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return FaultSpecSchema.parse(raw);
}

export class FaultRegistry {
  private readonly faults = new Map<string, ActiveFault>();
  private readonly listeners = new Set<(change: FaultChange) => void>();
  private nextId = 1;

  add(input: FaultSpecInput): ActiveFault {
    const fault: ActiveFault = { id: `f${this.nextId++}`, since: new Date().toISOString(), spec: FaultSpecSchema.parse(input) };
    this.faults.set(fault.id, fault);
    this.emit({ added: fault });
    return fault;
  }

  remove(id: string): ActiveFault | undefined {
    const fault = this.faults.get(id);
    if (!fault) return undefined;
    this.faults.delete(id);
    this.emit({ removed: fault });
    return fault;
  }

  clear(): ActiveFault[] {
    const removed = [...this.faults.values()];
    for (const fault of removed) this.remove(fault.id);
    return removed;
  }

  list(): ActiveFault[] {
    return [...this.faults.values()];
  }

  /** The newest active fault of `kind` that targets this node (by name or address) or every node. */
  forNode<K extends NodeFault['kind']>(kind: K, node: { name: string; address: string }): Extract<NodeFault, { kind: K }> | undefined {
    let found: Extract<NodeFault, { kind: K }> | undefined;
    for (const { spec } of this.faults.values()) {
      if (spec.kind !== kind || isApiFault(spec)) continue;
      if (spec.node === undefined || spec.node === node.name || spec.node === node.address) found = spec as Extract<NodeFault, { kind: K }>;
    }
    return found;
  }

  onChange(listener: (change: FaultChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: FaultChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
