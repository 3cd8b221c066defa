/** "4230.2.1" < "4230.2.10": dotted numeric comparison; missing versions sort first. */
const versionParts = new Map<string, number[]>();
function parts(v: string): number[] {
  let p = versionParts.get(v);
  if (!p) {
    p = v.split('.').map(Number);
    // A fleet has a handful of versions; the cap only guards against unbounded garbage.
    if (versionParts.size > 10_000) versionParts.clear();
    versionParts.set(v, p);
  }
  return p;
}

export function compareVersions(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return a.localeCompare(b);
}
