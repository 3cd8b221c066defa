// Node state changes as the simulator records them (one line each in events.jsonl).
export type SimEventKind =
  | 'update-engine'
  | 'download-progress'
  | 'unit-file'
  | 'unit-active'
  | 'reboot-start'
  | 'down'
  | 'up'
  | 'os-version'
  | 'rollback'
  | 'boot-marked-good'
  | 'boot-order'
  | 'fault'
  | 'machine'
  | 'sshd'
  | 'fluo'
  | 'fluo-role'
  | 'journal';

export interface SimEvent {
  ts: string;
  node: string;
  kind: SimEventKind;
  from: string | number | null;
  to: string | number | null;
  [detail: string]: unknown;
}

export interface EventSink {
  record(event: Omit<SimEvent, 'ts'>): void;
}
