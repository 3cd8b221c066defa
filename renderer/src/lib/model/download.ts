/** Download bar figures from successive update_engine_client -status readings (PROGRESS × NEW_SIZE). */

export interface ProgressSample {
  atMs: number;
  progress: number;
  newSize: number;
}

export interface DownloadFigures {
  progress: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the recent window; null until two readings differ or while NEW_SIZE is unknown. */
  rate: number | null;
  etaSeconds: number | null;
}

const windowMs = 15_000;

export function downloadFigures(samples: readonly ProgressSample[]): DownloadFigures | null {
  const last = samples.at(-1);
  if (!last) return null;
  const bytesTotal = last.newSize;
  const bytesDone = Math.round(last.progress * bytesTotal);
  const recent = samples.filter((s) => last.atMs - s.atMs <= windowMs && s.newSize === last.newSize);
  const first = recent[0];
  let perSecond: number | null = null;
  if (first && last.atMs > first.atMs && last.progress > first.progress) {
    perSecond = ((last.progress - first.progress) * 1000) / (last.atMs - first.atMs);
  }
  const rate = perSecond !== null && bytesTotal > 0 ? perSecond * bytesTotal : null;
  const etaSeconds = perSecond ? (1 - last.progress) / perSecond : null;
  return { progress: last.progress, bytesDone, bytesTotal, rate, etaSeconds };
}
