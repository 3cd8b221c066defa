/** Maps with at most `limit` calls in flight (e.g. nodes asked over SSH at once); results keep the input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** How many nodes are asked over SSH at once; the pool caps connections and channels on its own too. */
export const SSH_FAN_OUT = 16;
