import type { UpdateStateKey } from './model/fleet.ts';

export const stateColors: Record<UpdateStateKey, string> = {
  idle: 'var(--chart-2)',
  checking: 'var(--chart-6)',
  available: 'var(--chart-1)',
  downloading: 'var(--chart-4)',
  finalizing: 'var(--chart-8)',
  'need-reboot': 'var(--chart-3)',
  'in-pipeline': 'var(--info)',
  error: 'var(--chart-5)',
  'engine-off': 'var(--muted)',
  unreachable: 'var(--warn)',
  unknown: 'var(--chart-7)',
  'not-flatcar': 'var(--border)',
};

const palette = ['var(--chart-1)', 'var(--chart-2)', 'var(--chart-3)', 'var(--chart-4)', 'var(--chart-6)', 'var(--chart-8)', 'var(--chart-5)', 'var(--chart-7)'];

/** A stable colour per series key, so a version keeps its colour across charts and updates. */
export function seriesColor(key: string, order: readonly string[]): string {
  const i = order.indexOf(key);
  return palette[(i === -1 ? 0 : i) % palette.length] ?? 'var(--chart-7)';
}
