/** Helpers for tests of rate limits: where sends fall in time. */

/** The most sends that fall in one window [t, t + windowMs) of a sorted list of send times. */
export function maxInWindow(sends: readonly number[], windowMs: number): number {
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < sends.length; hi++) {
    while (sends[hi]! - sends[lo]! >= windowMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

/** Deterministic pseudo-random integers in [0, n): a 32-bit LCG, its high bits (the low ones repeat with a short period). */
export function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => Math.floor(((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32) * n);
}
