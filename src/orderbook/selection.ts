/**
 * The taker's view of the book: the chance each maker is picked under the reference's
 * fidelity-bond-weighted choice, and a sybil-attack cost estimate (our own model, see
 * docs/orderbook.md). Pure functions.
 */
import { YEAR_SECONDS } from '../wallet/bond-value.js';

export const DEFAULT_BONDLESS_ALLOWANCE = 0.125;

/**
 * One pick: with probability `allowance` uniformly among all makers, otherwise weighted by
 * bond value among bonded makers (uniform if none is bonded).
 */
export function pickChances(weights: ReadonlyMap<string, number>, allowance = DEFAULT_BONDLESS_ALLOWANCE): Map<string, number> {
  const out = new Map<string, number>();
  const n = weights.size;
  if (n === 0) return out;
  let total = 0;
  for (const w of weights.values()) if (w > 0 && Number.isFinite(w)) total += w;
  for (const [nick, w] of weights) {
    const uniform = 1 / n;
    const bonded = total > 0 ? (w > 0 && Number.isFinite(w) ? w / total : 0) : uniform;
    out.set(nick, allowance * uniform + (1 - allowance) * bonded);
  }
  return out;
}

/**
 * Bond weight each of `n` sybil makers needs so that a taker choosing `n` makers only among
 * bonded ones picks all sybils with probability `target`, given honest total weight `honest`.
 * Picks are without replacement: P = Π_k (n−k)w / ((n−k)w + honest).
 */
export function sybilWeightPerMaker(n: number, honest: number, target = 0.95): number {
  if (!(honest > 0) || n < 1) return 0;
  const success = (w: number): number => {
    let p = 1;
    for (let k = 0; k < n; k++) p *= ((n - k) * w) / ((n - k) * w + honest);
    return p;
  };
  let lo = 0;
  let hi = honest;
  while (success(hi) < target) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > hi * 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (success(mid) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Satoshis to lock for `years` (or burn, years = null) to reach a bond weight. */
export function satsForWeight(weight: number, years: number | null, interestRate: number, exponent: number): number {
  const base = Math.pow(weight, 1 / exponent);
  if (years === null) return base;
  const a = Math.min(1, Math.exp(interestRate * years) - 1);
  return a > 0 ? base / a : Infinity;
}

export interface SybilRow {
  makers: number;
  /** Total satoshis, all sybils together, for each lock duration. */
  lockedSats: Record<string, number>;
  burnedSats: number;
}

export const SYBIL_LOCK_YEARS = [1, 2, 5, 10] as const;
export const SYBIL_MAKER_COUNTS = [2, 4, 6, 8, 10] as const;

export function sybilTable(honestWeight: number, interestRate: number, exponent: number, target = 0.95): SybilRow[] {
  return SYBIL_MAKER_COUNTS.map((n) => {
    const w = sybilWeightPerMaker(n, honestWeight, target);
    const lockedSats: Record<string, number> = {};
    for (const y of SYBIL_LOCK_YEARS) lockedSats[`${y}y`] = n * satsForWeight(w, y, interestRate, exponent);
    return { makers: n, lockedSats, burnedSats: n * satsForWeight(w, null, interestRate, exponent) };
  });
}

export { YEAR_SECONDS };
