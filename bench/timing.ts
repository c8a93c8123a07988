/** Wall-clock timing for benchmarks (allowed here: bench/ is outside the pure core). */

/** Seconds taken by one call of `fn`. */
export function timeOnce(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Runs `fn` `repeats` times and returns the fastest time in seconds. Best-of rather than median:
 * on a shared machine, interference only ever adds time, so the minimum is the least noisy estimate.
 */
export function bestTime(repeats: number, fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) best = Math.min(best, timeOnce(fn));
  return best;
}
