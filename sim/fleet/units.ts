// systemd unit state of one machine. Enablement is where the symlinks live (systemd src/shared/install.c):
// a mask is /etc/systemd/system/UNIT → /dev/null; `systemctl enable` adds an /etc …wants/ link; Flatcar's
// ebuilds enable update-engine and locksmithd with a vendor link under /usr/lib/systemd/system/…wants/, which
// starts the unit at every boot although `is-enabled` only counts /etc and /run links and says `disabled`.
export interface UnitState {
  /** the vendor unit file exists in /usr/lib/systemd/system */
  exists: boolean;
  masked: boolean;
  /** /run/systemd/system/UNIT → /dev/null (`systemctl mask --runtime`): gone at the next boot, /run is a tmpfs */
  runtimeMasked: boolean;
  /** /etc/systemd/system/multi-user.target.wants/UNIT (systemctl enable) */
  enabled: boolean;
  /** /usr/lib/systemd/system/multi-user.target.wants/UNIT (the image's own enablement; read-only) */
  vendorEnabled: boolean;
  active: UnitActiveState;
}

export type UnitFileState = 'masked' | 'masked-runtime' | 'enabled' | 'disabled';
/** `activating` is systemd's state while a Restart= unit waits for its next start (sub-state auto-restart). */
export type UnitActiveState = 'active' | 'inactive' | 'activating' | 'failed';

export interface UnitChange {
  unit: string;
  property: 'file' | 'active';
  from: string;
  to: string;
}

export interface InitialUnit {
  masked: boolean;
  enabled: boolean;
  vendorEnabled?: boolean;
  active: boolean;
}

export function normalizeUnitName(name: string): string {
  return /\.(service|socket|timer|target|mount|path|slice|scope|device|swap|automount)$/.test(name) ? name : `${name}.service`;
}

export class Units {
  private readonly units = new Map<string, UnitState>();
  private readonly listeners = new Set<(change: UnitChange) => void>();

  constructor(initial: Record<string, InitialUnit>) {
    for (const [name, u] of Object.entries(initial)) {
      this.units.set(name, { exists: true, masked: u.masked, runtimeMasked: false, enabled: u.enabled, vendorEnabled: u.vendorEnabled ?? false, active: u.active ? 'active' : 'inactive' });
    }
  }

  get(unit: string): UnitState {
    return { ...(this.units.get(unit) ?? { exists: false, masked: false, runtimeMasked: false, enabled: false, vendorEnabled: false, active: 'inactive' }) };
  }

  fileState(unit: string): UnitFileState | null {
    const u = this.get(unit);
    if (u.masked) return 'masked';
    if (u.runtimeMasked) return 'masked-runtime';
    if (!u.exists) return null;
    return u.enabled ? 'enabled' : 'disabled';
  }

  activeState(unit: string): UnitActiveState {
    return this.get(unit).active;
  }

  isActive(unit: string): boolean {
    return this.get(unit).active === 'active';
  }

  onChange(listener: (change: UnitChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setMasked(unit: string, masked: boolean): void {
    this.update(unit, { masked });
  }

  setRuntimeMasked(unit: string, runtimeMasked: boolean): void {
    this.update(unit, { runtimeMasked });
  }

  /** A boot starts with an empty /run: every runtime mask is gone. */
  clearRuntimeMasks(): void {
    for (const unit of this.units.keys()) if (this.get(unit).runtimeMasked) this.setRuntimeMasked(unit, false);
  }

  setEnabled(unit: string, enabled: boolean): void {
    this.update(unit, { enabled });
  }

  setActive(unit: string, active: boolean | UnitActiveState): void {
    this.update(unit, { active: typeof active === 'string' ? active : active ? 'active' : 'inactive' });
  }

  /** Units that start at boot: present, not masked, wanted through an /etc or a vendor link. */
  bootActive(unit: string): boolean {
    const u = this.get(unit);
    return u.exists && !u.masked && (u.enabled || u.vendorEnabled);
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
