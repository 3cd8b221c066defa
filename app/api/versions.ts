/** Dotted version numbers split once ("4230.2.1" → [4230, 2, 1]); build metadata (`+nightly-…`) does not order. */
const versionParts = new Map<string, number[]>();
function parts(v: string): number[] {
  let p = versionParts.get(v);
  if (!p) {
    p = v.split('+')[0]!.split('.').map(Number);
    // A fleet has a handful of versions; the cap only guards against unbounded garbage.
    if (versionParts.size > 10_000) versionParts.clear();
    versionParts.set(v, p);
  }
  return p;
}

/**
 * The one order of Flatcar versions, for the core and the UI: "4230.2.1" < "4230.2.10" < "4459.0.0"; a missing
 * version sorts first; text that is not dotted numbers falls back to plain text order.
 */
export function compareVersions(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const pa = parts(a);
  const pb = parts(b);
  let numeric = true;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (Number.isNaN(d)) numeric = false;
    else if (d !== 0) return d;
  }
  return numeric ? 0 : a.localeCompare(b);
}
