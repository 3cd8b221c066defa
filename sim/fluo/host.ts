// What FLUO's agent container sees of its machine: the host files its DaemonSet mounts (/etc/os-release,
// /usr/share/flatcar, /etc/flatcar), update_engine over the system D-Bus, and logind's Reboot.
export interface UpdateEngineSignal {
  lastCheckedTime: number;
  progress: number;
  currentOperation: string;
  newVersion: string;
  newSize: number;
}

export interface FluoHost {
  readonly name: string;
  isUp(): boolean;
  onPowerChange(cb: (up: boolean) => void): () => void;
  /** a host file's content, or null when it does not exist */
  readHostFile(path: string): string | null;
  /** D-Bus GetStatus; null when update_engine is not running (the call fails) */
  updateEngineStatus(): UpdateEngineSignal | null;
  /** D-Bus StatusUpdate signals, from whichever update_engine process is running */
  onUpdateEngineSignal(cb: (status: UpdateEngineSignal) => void): () => void;
  /** login1 Reboot(false) */
  reboot(): void;
}
