/**
 * UTXO merge algorithms (coinjoin-protocol.md §8.1, REF `[POLICY] merge_algorithm`), used by
 * the maker's `oid_to_order` for one mixdepth. Pure; ties keep input order (stable sort).
 * Returns null when the UTXOs cannot cover the target.
 */
export type MergeAlgorithm = 'default' | 'gradual' | 'greedy' | 'greediest';

export interface Valued {
  valueSats: number;
}

const asc = <T extends Valued>(us: readonly T[]): T[] => [...us].sort((a, b) => a.valueSats - b.valueSats);
const sum = (us: readonly Valued[]): number => us.reduce((s, u) => s + u.valueSats, 0);

export function selectUtxos<T extends Valued>(utxos: readonly T[], target: number, algo: MergeAlgorithm): T[] | null {
  if (!Number.isSafeInteger(target) || target <= 0) throw new RangeError(`selectUtxos: bad target ${target}`);
  if (sum(utxos) < target) return null;
  switch (algo) {
    case 'default':
      return selectDefault(utxos, target);
    case 'gradual':
      return selectGradual(utxos, target);
    case 'greedy':
      return selectGreedy(utxos, target);
    case 'greediest':
      return selectGreediest(utxos, target);
  }
}

function smallestCovering<T extends Valued>(utxos: readonly T[], target: number): T[] | null {
  const high = asc(utxos.filter((u) => u.valueSats >= target))[0];
  return high ? [high] : null;
}

/** Smallest single UTXO ≥ target; else accumulate from the largest down. */
function selectDefault<T extends Valued>(utxos: readonly T[], target: number): T[] | null {
  const sorted = asc(utxos);
  const single = sorted.find((u) => u.valueSats >= target);
  if (single) return [single];
  const out: T[] = [];
  let total = 0;
  for (const u of sorted.reverse()) {
    out.push(u);
    total += u.valueSats;
    if (total >= target) return out;
  }
  return null;
}

/**
 * The smaller-than-target UTXOs ascending, and the shortest run of them from the smallest
 * (`low[0..end)`, worth `total`) that covers target; null when all of them together do not.
 */
function lowPrefix<T extends Valued>(utxos: readonly T[], target: number): { low: T[]; end: number; total: number } | null {
  const low = asc(utxos.filter((u) => u.valueSats < target));
  if (sum(low) < target) return null;
  let end = 0;
  let total = 0;
  while (total < target) total += (low[end++] as T).valueSats;
  return { low, end, total };
}

/** If the smaller-than-target UTXOs cover it: ascending run, then trim from the small end. */
function selectGradual<T extends Valued>(utxos: readonly T[], target: number): T[] | null {
  const p = lowPrefix(utxos, target);
  if (!p) return smallestCovering(utxos, target);
  let { total } = p;
  let start = 0;
  while (total >= target + (p.low[start] as T).valueSats) total -= (p.low[start++] as T).valueSats;
  return p.low.slice(start, p.end);
}

/** Smallest ascending prefix covering target, then drop needless smaller ones walking back ("dilution"). */
function selectGreedy<T extends Valued>(utxos: readonly T[], target: number): T[] | null {
  const sorted = asc(utxos);
  let remaining = target;
  let cursor = 0;
  for (; cursor < sorted.length; cursor++) {
    remaining -= (sorted[cursor] as T).valueSats;
    if (remaining === 0) return sorted.slice(0, cursor + 1);
    if (remaining < 0) break;
  }
  if (cursor === sorted.length) return null;
  const picked: T[] = [sorted[cursor] as T];
  for (let i = cursor - 1; i >= 0; i--) {
    const u = sorted[i] as T;
    if (remaining + u.valueSats > 0) picked.push(u); // skipping it would fall below target
    else remaining += u.valueSats;
  }
  return picked;
}

/** Ascending prefix of the smaller-than-target UTXOs covering target; else smallest UTXO ≥ target. */
function selectGreediest<T extends Valued>(utxos: readonly T[], target: number): T[] | null {
  const p = lowPrefix(utxos, target);
  return p ? p.low.slice(0, p.end) : smallestCovering(utxos, target);
}
