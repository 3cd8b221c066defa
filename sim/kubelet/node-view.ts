// The seam between the SSH fleet and the kubelet role, as specified in the team brief
// (implemented by sim/fleet/node-view.ts). Kept structural so any implementation fits.
export interface SimNodeView {
  readonly name: string;
  readonly address: string;
  readonly sshPort: number;
  readonly machineId: string;
  /** topology.kubernetes.io/zone of the Node, as a cloud provider's node controller sets it; null: unzoned */
  readonly zone?: string | null;
  /** the OS the machine runs (x-kubernetes.io/distribution); absent: Flatcar */
  readonly distribution?: 'flatcar' | 'ubuntu';
  bootId(): string;
  isUp(): boolean;
  osRelease(): { versionId: string; prettyName: string; channel: string };
  kernelVersion(): string;
  onPowerChange(cb: (up: boolean) => void): () => void;
}
