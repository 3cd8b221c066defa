// What the kubelet role sees of a simulated Flatcar machine (the seam between sim/fleet and sim/kubelet).
export interface SimNodeView {
  readonly name: string;
  readonly address: string;
  readonly sshPort: number;
  readonly machineId: string;
  bootId(): string;
  isUp(): boolean;
  /** the currently booted OS */
  osRelease(): { versionId: string; prettyName: string; channel: string };
  kernelVersion(): string;
  /** fires false when the machine goes down for a reboot and true when it is back */
  onPowerChange(cb: (up: boolean) => void): () => void;
}
