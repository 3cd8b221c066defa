import { ApiError } from '../api/errors.ts';

/** Edit distance (insert, delete, substitute; one each), two rows at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known names an operator most likely meant: the nearest by edit distance (a name containing what was typed
 * counts as near), at most `max`, and none further off than half the typed name.
 */
export function closestNames(name: string, known: readonly string[], max = 3): string[] {
  const typed = name.toLowerCase();
  const limit = Math.max(2, Math.floor(typed.length / 2));
  return known
    .map((k) => ({ k, d: k.toLowerCase().includes(typed) ? 1 : editDistance(typed, k.toLowerCase()) }))
    .filter((c) => c.d <= limit)
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k, 'en', { numeric: true }))
    .slice(0, max)
    .map((c) => c.k);
}

/** The one error for a node name the cluster does not have: names the closest real ones. */
export function unknownNodeError(cluster: string, name: string, known: readonly string[]): ApiError {
  const closest = closestNames(name, known);
  const hint = closest.length > 0 ? ` Did you mean ${closest.join(', ')}?` : ` It has ${known.length} node${known.length === 1 ? '' : 's'}; \`flatdeck nodes\` lists them.`;
  return new ApiError('not-found', `Cluster ${cluster} has no node named "${name}".${hint}`, { cluster, node: name, closest: closest.join(',') });
}
