/** Coalesces bursts of pushed events into one UI update per animation frame. */
export function frameScheduler(run: () => void): () => void {
  let queued = false;
  const schedule = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (cb: () => void) => setTimeout(cb, 16);
  return () => {
    if (queued) return;
    queued = true;
    schedule(() => {
      queued = false;
      run();
    });
  };
}
