// A SimNodeView without an SSH server behind it, rebooted by the test itself. For tests of the kubelet role and
// of API servers where the Flatcar side is irrelevant (the SSH fleet has its own tests).
import { randomBytes, randomUUID } from 'node:crypto';
import type { SimNodeView } from '../../sim/kubelet/index.ts';

export class ScriptedNode implements SimNodeView {
  readonly sshPort = 22;
  readonly machineId = randomBytes(16).toString('hex');
  private boot = randomUUID();
  private up = true;
  private version: string;
  private readonly listeners = new Set<(up: boolean) => void>();

  constructor(
    readonly name: string,
    readonly address: string,
    version = '4230.2.4',
  ) {
    this.version = version;
  }

  bootId(): string {
    return this.boot;
  }

  isUp(): boolean {
    return this.up;
  }

  osRelease() {
    return { versionId: this.version, prettyName: `Flatcar Container Linux by Kinvolk ${this.version} (Oklo)`, channel: 'stable' };
  }

  kernelVersion(): string {
    return this.version.startsWith('4230') ? '6.6.95-flatcar' : '6.12.47-flatcar';
  }

  onPowerChange(cb: (up: boolean) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  powerOff(): void {
    this.up = false;
    for (const cb of this.listeners) cb(false);
  }

  /** Comes back with a new boot id, optionally on another OS version. */
  powerOn(version = this.version): void {
    this.version = version;
    this.boot = randomUUID();
    this.up = true;
    for (const cb of this.listeners) cb(true);
  }
}
