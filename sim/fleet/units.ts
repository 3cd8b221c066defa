// systemd unit state of one machine: unit file state (masked / enabled / disabled) and active state.
// Masks live in /etc and survive reboots; the active state is recomputed at boot.
export interface UnitState {
  /** the vendor unit file exists in /usr/lib/systemd/system */
  exists: boolean;
  masked: boolean;
  enabled: boolean;
  active: boolean;
}

export type UnitFileState = 'masked' | 'enabled' | 'disabled';
export type UnitActiveState = 'active' | 'inactive';

export interface UnitChange {
  unit: string;
  property: 'file' | 'active';
  from: string;
  to: string;
}

export function normalizeUnitName(name: string): string {
  return /\.(service|socket|timer|target|mount|path|slice|scope|device|swap|automount)$/.test(name) ? name : `${name}.service`;
}

export class Units {
  private readonly units = new Map<string, UnitState>();
  private readonly listeners = new Set<(change: UnitChange) => void>();

  constructor(initial: Record<string, Omit<UnitState, 'exists'>>) {
    for (const [name, state] of Object.entries(initial)) this.units.set(name, { exists: true, ...state });
  }

  get(unit: string): UnitState {
    return { ...(this.units.get(unit) ?? { exists: false, masked: false, enabled: false, active: false }) };
  }

  fileState(unit: string): UnitFileState | null {
    const u = this.get(unit);
    if (u.masked) return 'masked';
    if (!u.exists) return null;
    return u.enabled ? 'enabled' : 'disabled';
  }

  activeState(unit: string): UnitActiveState {
    return this.get(unit).active ? 'active' : 'inactive';
  }

  onChange(listener: (change: UnitChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setMasked(unit: string, masked: boolean): void {
    this.update(unit, { masked });
  }

  setEnabled(unit: string, enabled: boolean): void {
    this.update(unit, { enabled });
  }

  setActive(unit: string, active: boolean): void {
    this.update(unit, { active });
  }

  /** Units that start at boot: present, enabled and not masked. */
  bootActive(unit: string): boolean {
    const u = this.get(unit);
    return u.exists && u.enabled && !u.masked;
  }

  snapshot(): Record<string, { file: UnitFileState | null; active: UnitActiveState }> {
    return Object.fromEntries([...this.units.keys()].map((u) => [u, { file: this.fileState(u), active: this.activeState(u) }]));
  }

  private update(unit: string, patch: Partial<UnitState>): void {
    const beforeFile = this.fileState(unit) ?? 'not-found';
    const beforeActive = this.activeState(unit);
    this.units.set(unit, { ...this.get(unit), ...patch });
    const afterFile = this.fileState(unit) ?? 'not-found';
    const afterActive = this.activeState(unit);
    if (beforeFile !== afterFile) this.emit({ unit, property: 'file', from: beforeFile, to: afterFile });
    if (beforeActive !== afterActive) this.emit({ unit, property: 'active', from: beforeActive, to: afterActive });
  }

  private emit(change: UnitChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
