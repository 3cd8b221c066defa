// Kubelet intervals scaled by the simulator's time scale, clamped so that a real control plane (which runs
// on wall-clock time: node-monitor-grace-period 40 s) never sees a scaled-up kubelet as silent.
export interface KubeletTiming {
  leaseRenewMs: number;
  statusReportMs: number;
  podStartMs: number;
  retryMs: number;
  scale(ms: number): number;
}

export function kubeletTiming(timeScale: number): KubeletTiming {
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
  const scale = (ms: number) => Math.round(ms * timeScale);
  const clamp = (ms: number, min: number, max: number) => Math.min(max, Math.max(min, ms));
  return {
    leaseRenewMs: clamp(scale(10_000), 100, 10_000),
    statusReportMs: clamp(scale(300_000), 1_000, 60_000),
    podStartMs: clamp(scale(2_000), 20, 2_000),
    retryMs: clamp(scale(1_000), 100, 1_000),
    scale,
  };
}
